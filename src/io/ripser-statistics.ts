// The numbers Ripser 1.2.1's main() prints before the barcodes (value range, enclosing radius,
// entries within the threshold).
import type { LowerDistanceMatrix } from '../types.js';

export interface DenseStatistics {
  min: number;
  maxFinite: number;
  /** min over i of max over j of d(i, j) (d(i, i) = 0): beyond it the Rips complex is a cone. */
  enclosingRadius: number;
  /** Entries ≤ threshold (Ripser's count for its sparse header line). */
  entriesWithin: number;
}

/** Ripser's header statistics over the strict lower triangle, in one pass. */
export function denseStatistics({ lower, n }: LowerDistanceMatrix, threshold: number): DenseStatistics {
  const stats: DenseStatistics = { min: Infinity, maxFinite: -Infinity, enclosingRadius: Infinity, entriesWithin: 0 };
  const rowMax = new Float32Array(n); // starts at the diagonal's 0; (i, j), j < i, counts for rows i and j
  let k = 0;
  for (let i = 1; i < n; i++) {
    for (let j = 0; j < i; j++) {
      const d = lower[k++];
      if (d > rowMax[i]) rowMax[i] = d;
      if (d > rowMax[j]) rowMax[j] = d;
      if (d < stats.min) stats.min = d;
      if (d !== Infinity && d > stats.maxFinite) stats.maxFinite = d;
      if (d <= threshold) stats.entriesWithin++;
    }
  }
  for (let i = 0; i < n; i++) if (rowMax[i] < stats.enclosingRadius) stats.enclosingRadius = rowMax[i];
  return stats;
}
