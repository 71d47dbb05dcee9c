// Vietoris–Rips persistence by brute force, straight from the definitions, for tiny inputs
// (n ≤ 12): every simplex up to dimension maxDim + 1 with its diameter, the filtration order,
// the full boundary matrix, standard column reduction over Z/p. Slow and obvious on purpose:
// no clearing, no cohomology, no apparent pairs — none of the engine's shortcuts.

/** d(i, j) for i ≠ j; Infinity = no edge (sparse input). */
export type PairDistance = (i: number, j: number) => number;

export interface OracleInterval {
  birth: number;
  /** Infinity for an essential class. */
  death: number;
}

export interface OracleOptions {
  maxDim: number;
  /** Simplices of larger diameter are left out; Infinity keeps every simplex with finite diameter. */
  threshold: number;
  /** A prime. */
  modulus: number;
}

interface Simplex {
  vertices: number[];
  diameter: number;
}

/** All simplices of dimension ≤ top whose diameter is finite and ≤ threshold. A simplex can only
 *  qualify if its faces do, so each is grown from a qualifying one by a larger vertex. */
function simplices(n: number, distance: PairDistance, top: number, threshold: number): Simplex[] {
  const all: Simplex[] = [];
  let layer: Simplex[] = Array.from({ length: n }, (_, v) => ({ vertices: [v], diameter: 0 }));
  for (let dim = 0; dim <= top && layer.length > 0; dim++) {
    all.push(...layer);
    const next: Simplex[] = [];
    for (const s of layer) {
      for (let w = s.vertices[s.vertices.length - 1] + 1; w < n; w++) {
        let diameter = s.diameter;
        for (const v of s.vertices) diameter = Math.max(diameter, distance(v, w));
        if (diameter !== Infinity && diameter <= threshold) next.push({ vertices: [...s.vertices, w], diameter });
      }
    }
    layer = next;
  }
  return all;
}

/** Filtration order: diameter, then dimension (faces before cofaces), then lexicographic. */
function filtrationOrder(a: Simplex, b: Simplex): number {
  if (a.diameter !== b.diameter) return a.diameter - b.diameter;
  if (a.vertices.length !== b.vertices.length) return a.vertices.length - b.vertices.length;
  for (let k = 0; k < a.vertices.length; k++) if (a.vertices[k] !== b.vertices[k]) return a.vertices[k] - b.vertices[k];
  return 0;
}

const mod = (x: number, p: number): number => ((x % p) + p) % p;

/** x⁻¹ in Z/p by Fermat (p is tiny here). */
function inverse(x: number, p: number): number {
  let result = 1;
  for (let k = 0; k < p - 2; k++) result = (result * x) % p;
  return result;
}

/** A sparse column: row index → nonzero coefficient in Z/p. */
type Column = Map<number, number>;

function low(column: Column): number {
  let max = -1;
  for (const row of column.keys()) max = Math.max(max, row);
  return max;
}

/** Per dimension 0…maxDim, the intervals with death > birth, essential classes last. */
export function ripsOracle(n: number, distance: PairDistance, options: OracleOptions): OracleInterval[][] {
  const { maxDim, threshold, modulus: p } = options;
  const filtration = simplices(n, distance, maxDim + 1, threshold).sort(filtrationOrder);
  const position = new Map(filtration.map((s, k) => [s.vertices.join(','), k]));

  // ∂[v0…vk] = Σ (−1)^i [v0…v̂i…vk]
  const columns: Column[] = filtration.map(({ vertices }) => {
    const column: Column = new Map();
    if (vertices.length === 1) return column;
    vertices.forEach((_, i) => {
      const face = vertices.filter((__, k) => k !== i).join(',');
      column.set(position.get(face)!, mod(i % 2 === 0 ? 1 : -1, p));
    });
    return column;
  });

  const columnWithLow = new Map<number, number>();
  for (let j = 0; j < columns.length; j++) {
    const column = columns[j];
    for (let pivot = low(column); pivot >= 0 && columnWithLow.has(pivot); pivot = low(column)) {
      const other = columns[columnWithLow.get(pivot)!];
      const factor = mod(column.get(pivot)! * inverse(other.get(pivot)!, p), p);
      for (const [row, coefficient] of other) {
        const value = mod((column.get(row) ?? 0) - factor * coefficient, p);
        if (value === 0) column.delete(row);
        else column.set(row, value);
      }
    }
    const pivot = low(column);
    if (pivot >= 0) columnWithLow.set(pivot, j);
  }

  const barcodes: OracleInterval[][] = Array.from({ length: maxDim + 1 }, () => []);
  const essential: OracleInterval[][] = Array.from({ length: maxDim + 1 }, () => []);
  const killed = new Set(columnWithLow.keys());
  for (const [row, j] of columnWithLow) {
    const dim = filtration[row].vertices.length - 1;
    const interval = { birth: filtration[row].diameter, death: filtration[j].diameter };
    if (dim <= maxDim && interval.death > interval.birth) barcodes[dim].push(interval);
  }
  filtration.forEach((s, k) => {
    const dim = s.vertices.length - 1;
    if (dim <= maxDim && columns[k].size === 0 && !killed.has(k)) {
      essential[dim].push({ birth: s.diameter, death: Infinity });
    }
  });
  return barcodes.map((finite, dim) => [...finite, ...essential[dim]]);
}

/** Intervals as a sorted list of "birth,death" keys: the multiset, comparable with toEqual. */
export function intervalMultiset(intervals: Iterable<OracleInterval>): string[] {
  return [...intervals].map(({ birth, death }) => `${birth},${death}`).sort();
}

/** Ripser's text as its header lines and, per dimension, its interval lines sorted (a multiset). */
export function ripserSections(text: string): { header: string[]; dims: string[][] } {
  const [header, ...dims] = text.replace(/\n$/, '').split(/^persistence intervals in dim \d+:\n?/m);
  const lines = (part: string) => part.split('\n').filter(Boolean);
  return { header: lines(header), dims: dims.map((part) => lines(part).sort()) };
}
