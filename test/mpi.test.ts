// The MPI binding's collectives against their definitions, under mpirun with 2 and 3 ranks over
// TCP loopback (test/mpi/collectives.mjs is one rank). Skipped where MPI is absent.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MPIRUN, mpirun, requireBinding, ROOT } from './support/mpirun.js';

interface RankResult {
  rank: number;
  size: number;
  localRank: number;
  info: { library: string; threadLevel: string };
  inputs: Record<string, number[]>;
  outputs: Record<string, number[]>;
  errors: Record<string, string>;
}

const dir = mkdtempSync(join(tmpdir(), 'topofr-mpi-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Element-wise sum over ranks in rank order, rounded to float32 after every addition (or float64). */
function orderedSum(parts: number[][], float32: boolean, order = parts.map((_, q) => q)): number[] {
  const round = float32 ? Math.fround : (x: number) => x;
  return parts[order[0]!]!.map((_, i) => order.slice(1).reduce((acc, q) => round(acc + parts[q]![i]!), parts[order[0]!]![i]!));
}

/** |fast − exact| may reach (W − 1) roundings of the partial sums: bounded by (W − 1)·2⁻²⁴·Σ|x|. */
function expectCloseSum(actual: number[], parts: number[][]): void {
  actual.forEach((a, i) => {
    const exact = parts.reduce((s, p) => s + p[i]!, 0);
    const scale = parts.reduce((s, p) => s + Math.abs(p[i]!), 0);
    expect(Math.abs(a - exact)).toBeLessThanOrEqual((parts.length - 1) * 2 ** -24 * scale);
  });
}

describe.skipIf(!MPIRUN)('MPI collectives (mpirun, TCP loopback)', () => {
  it.each([2, 3])('%i ranks: every collective equals its definition, sync and async; errors are typed', (ranks) => {
    requireBinding();
    const out = mkdtempSync(join(dir, `np${ranks}-`));
    const run = mpirun(['-np', String(ranks), process.execPath, join(ROOT, 'test', 'mpi', 'collectives.mjs'), out], 60_000);
    expect(run.timedOut, run.stderr).toBe(false);
    expect(run.status, run.stderr).toBe(0);
    const results: RankResult[] = Array.from({ length: ranks }, (_, r) => JSON.parse(readFileSync(join(out, `rank-${r}.json`), 'utf8')) as RankResult);
    const inputs = (name: string) => results.map((r) => r.inputs[name]!);

    expect(results.map((r) => [r.rank, r.size, r.localRank])).toEqual(results.map((_, q) => [q, ranks, q]));
    expect(results[0]!.info.library).toMatch(/MPI/);
    for (const r of results) {
      // deterministic sums: the rank-ordered sum, bit for bit, on every rank
      expect(r.outputs.sum32).toEqual(orderedSum(inputs('sum32'), true));
      expect(r.outputs.sum64).toEqual(orderedSum(inputs('sum64'), false));
      expect(r.outputs.asyncSum32).toEqual(orderedSum(inputs('asyncSum32'), true));
      expect(r.outputs.asyncSum64).toEqual(orderedSum(inputs('asyncSum64'), false));
      expectCloseSum(r.outputs.sum32fast!, inputs('sum32fast'));
      expect(r.outputs.max32).toEqual(inputs('max32')[0]!.map((_, i) => Math.max(...inputs('max32').map((x) => x[i]!))));
      expect(r.outputs.asyncMax32).toEqual(inputs('asyncMax32')[0]!.map((_, i) => Math.max(...inputs('asyncMax32').map((x) => x[i]!))));
      expect(r.outputs.min64).toEqual(inputs('min64')[0]!.map((_, i) => Math.min(...inputs('min64').map((x) => x[i]!))));
      // broadcasts from the roots the rank script chose
      expect(r.outputs.bcastInt32).toEqual(inputs('bcastInt32')[ranks - 1]);
      expect(r.outputs.bcastUint8).toEqual(inputs('bcastUint8')[0]);
      expect(r.outputs.bcastFloat64).toEqual(inputs('bcastFloat64')[ranks - 1]);
      // gathers: the inputs concatenated in rank order (rank 1 sends nothing in gatherv)
      expect(r.outputs.gather).toEqual(inputs('gather').flat());
      expect(r.outputs.gatherv).toEqual(inputs('gatherv').flat());
      expect(r.outputs.asyncGather).toEqual(results.map((_, q) => q * 10));
      // the event loop ran while the barrier waited ~300 ms for the last rank
      if (r.rank === 0) expect(r.outputs.ticksDuringBarrier![0]).toBeGreaterThan(5);
      expect(r.errors).toMatchObject({
        syncWhilePending: 'TopofrError:ERR_TOPOFR_MPI', int32Sum: 'TopofrTypeError:ERR_TOPOFR_INVALID_TYPE',
        badCounts: 'TopofrRangeError:ERR_TOPOFR_INVALID_SHAPE', badRoot: 'TopofrRangeError:ERR_TOPOFR_INVALID_VALUE',
        badMode: 'TopofrRangeError:ERR_TOPOFR_INVALID_VALUE',
      });
    }
    // an MPI library error (a truncated receive on rank 0) is a typed error, and the job goes on
    if (ranks === 2) expect(results[0]!.errors.truncated).toBe('TopofrError:ERR_TOPOFR_MPI');
    // reduce-scatter: each rank's slice of the ordered sum (deterministic) or within rounding (fast)
    const counts = results.map((_, q) => (q === 1 ? 0 : 4 + 3 * q));
    const total = orderedSum(inputs('scatter'), true);
    results.forEach((r, q) => {
      const at = counts.slice(0, q).reduce((a, b) => a + b, 0);
      expect(r.outputs.scatter).toEqual(total.slice(at, at + counts[q]!));
      expectCloseSum(r.outputs.scatterFast!, inputs('scatterFast').map((x) => x.slice(at, at + counts[q]!)));
    });
    if (ranks >= 3) {
      // the inputs are such that the order of the sum shows: the exact-equality checks above can fail
      const reversed = orderedSum(inputs('sum32'), true, [...Array(ranks).keys()].reverse());
      expect(reversed).not.toEqual(orderedSum(inputs('sum32'), true));
    }
  });
});
