// rips-*: ripsPersistence (all dimensions up to maxDim) on a Ripser example or on clustered
// embeddings, against Ripser on the same input file with the same flags, in the same run.
import { readFileSync } from 'node:fs';
import { ripserAnchor } from '../anchors.js';
import { readBinary } from '../data.js';
import type { CaseFamily, CaseSpec, Derived, RipsCase } from '../types.js';
import type { RipsInput } from '../../types.js';
import { parseRipserInput } from '../../io/ripser-input.js';

const ripsOf = (spec: CaseSpec): RipsCase => {
  if (!spec.rips) throw new Error(`${spec.name}: a rips case needs its rips parameters`);
  return spec.rips;
};

/** The engine's input, as the CLI would hand it over: a file in its Ripser format, or points. */
function load(spec: CaseSpec, file: string): RipsInput {
  const { source } = ripsOf(spec);
  if (!('file' in source)) return readBinary(file, spec.n, spec.dim);
  const input = parseRipserInput(readFileSync(file), source.format, file);
  if (input.kind === 'points') return input.cloud;
  if (input.kind === 'lower') return input.matrix;
  return input.sparse;
}

/** Ripser's flags for the same computation: its format, --dim, and the threshold if any. */
function ripserFlags({ source, maxDim, threshold }: RipsCase): string[] {
  const format = 'file' in source ? source.format : 'point-cloud';
  return ['--format', format, '--dim', String(maxDim), ...(threshold === undefined ? [] : ['--threshold', String(threshold)])];
}

export const ripsFamily: CaseFamily = {
  async prepare(spec, file) {
    const { maxDim, threshold } = ripsOf(spec);
    const input = load(spec, file);
    const { ripsPersistenceSync } = await import('../../index.js');
    const call = () => ripsPersistenceSync(input, { maxDim, threshold });
    return {
      run: () => void call(),
      // Interval counts per dimension: a cheap cross-check (the tests compare the barcodes).
      facts: () => Object.fromEntries(call().map((b) => [`h${b.dim}_intervals`, b.births.length])),
    };
  },
  anchors: async (spec, files, runs) => [ripserAnchor([...ripserFlags(ripsOf(spec)), await files.text()], runs)],
  derive(_spec, report, anchors): Derived {
    const counts = Object.entries(report.facts).map(([k, v]) => `${k.replace('_intervals', '')} ${v}`).join(', ');
    const ripser = anchors.find((a) => a.status === 'ok' && a.peak_rss_mb !== undefined);
    if (!ripser) return { fields: {}, note: `intervals: ${counts}` };
    // DESIGN.md §6's targets: ≤ 0.5× Ripser's time, ≤ its memory.
    const time = report.median_ms / ripser.median_ms!;
    const memory = report.peak_rss_mb / ripser.peak_rss_mb!;
    return {
      fields: { time_vs_ripser: Number(time.toFixed(3)), memory_vs_ripser: Number(memory.toFixed(3)) },
      note: `${time.toFixed(2)}× Ripser's time, ${memory.toFixed(2)}× its peak RSS; intervals: ${counts}`,
    };
  },
};
