// Distributed cases, each run as MPI ranks on this machine (harness.runUnderMpirun; cores split
// evenly between the ranks), with the one-process counterpart measured in the same suite run:
// * allreduce-r{18,50}-2ranks: the per-step gradient all-reduce of an IResNet-18/50 backbone at
//   112×112 with a 512-d embedding (its trainable parameters, float32, one buffer), deterministic
//   (rank-ordered reduce-scatter + all-gather) against MPI_Allreduce ('fast') as the anchor.
// * step-distributed-r18w0.25-64-b64-2ranks: one TopoFR step of the demo backbone, global batch
//   64 on 2 ranks (32 each), against one process running the same batch as 2 shards (the same
//   arithmetic) and as 1 shard (the plain step).
// * h0-distributed-50000x512-2ranks: world.persistenceH0 on 2 ranks against persistenceH0, the
//   single process's O(n)-memory path, on the same 50 000 Gaussian points.
import { runInChild } from '../harness.js';
import { readBinary } from '../data.js';
import { round } from './check.js';
import type { AnchorResult, CaseFamily, CaseSpec, Derived } from '../types.js';

export type MpiBench = { kind: 'allreduce'; depth: 18 | 50 } | { kind: 'step' } | { kind: 'h0' };

const ANCHORS: Record<MpiBench['kind'], { variant: string; name: string; ranks: boolean }[]> = {
  allreduce: [{ variant: 'fast', name: 'MPI_Allreduce (fast mode)', ranks: true }],
  step: [{ variant: 'shards', name: 'one process, 2 shards', ranks: false }, { variant: 'plain', name: 'one process, 1 shard', ranks: false }],
  h0: [{ variant: 'single', name: 'persistenceH0, one process', ranks: false }],
};

function mpiOf(spec: CaseSpec): MpiBench {
  if (!spec.mpi) throw new TypeError(`bench case ${spec.name} is not a distributed case`);
  return spec.mpi;
}

/** The demo's step (IResNet-18 ×0.25, 64×64, batch 64; topofr.ts's step cases). */
const STEP_BASE = { trainIdentities: 200, testIdentities: 2, samplesPerIdentity: 16, imageSize: 64, batchSize: 64,
  widthMultiplier: 0.25, embeddingSize: 128, progress: false } as const;

export const mpiFamily: CaseFamily = {
  async prepare(spec, file, variant) {
    const what = mpiOf(spec);
    (await import('../../tf/quiet.js')).quietTfjs();
    const { localWorld, mpiWorld } = await import('../../distributed/world.js');
    const distributed = ANCHORS[what.kind].every((a) => a.variant !== variant || a.ranks);
    const world = distributed ? mpiWorld() : localWorld();
    if (what.kind === 'allreduce') {
      const { iresnet } = await import('../../model/iresnet.js');
      const model = iresnet({ depth: what.depth, inputSize: 112, embeddingSize: 512 });
      const params = model.trainableWeights.reduce((n, w) => n + w.shape.reduce((a: number, b) => a * (b ?? 1), 1), 0);  // what has a gradient
      const buffer = new Float32Array(params).fill(1e-3 * (world.rank + 1));
      const mode = variant === 'fast' ? 'fast' : 'deterministic';
      return {
        run: () => world.allReduce(buffer, { mode }),
        facts: () => ({ params_m: round(params / 1e6, 3), buffer_mb: round((4 * params) / 2 ** 20, 1), ranks: world.size,
          // each rank sends (W − 1)/W of the buffer twice: the all-to-all, then the all-gather (as a ring all-reduce does)
          sent_mb_per_rank: round((2 * (world.size - 1) / world.size * 4 * params) / 2 ** 20, 1) }),
      };
    }
    if (what.kind === 'step') {
      const { resolveConfig } = await import('../../train/config.js');
      const { createSession } = await import('../../train/trainer.js');
      const shards = variant === 'plain' ? 1 : 2;
      const session = await createSession(resolveConfig({}, { ...STEP_BASE, shards }), { world });
      let k = 0, loss = NaN;
      return { run: async () => void (loss = (await session.step(k++)).loss), facts: () => ({ loss: round(loss, 4), shards, ranks: world.size }) };
    }
    const points = readBinary(file, spec.n, spec.dim);
    const { persistenceH0 } = await import('../../ops/h0.js');
    const call = () => (distributed ? world.persistenceH0(points) : persistenceH0(points));
    return {
      run: () => void call(),
      facts: () => ({ mst_weight: call().deaths.reduce((a, b) => a + b, 0), ranks: world.size }),
    };
  },
  async anchors(spec, files, runs): Promise<AnchorResult[]> {
    const results: AnchorResult[] = [];
    for (const a of ANCHORS[mpiOf(spec).kind]) {
      try {
        const r = await runInChild({ caseName: spec.name, file: files.input, warmup: 1, runs, variant: a.variant, ranks: a.ranks ? spec.ranks : undefined });
        results.push({ name: a.name, status: 'ok', median_ms: r.median_ms, min_ms: r.min_ms, max_ms: r.max_ms, runs: r.runs, peak_rss_mb: r.peak_rss_mb, facts: r.facts });
      } catch (err) {
        results.push({ name: a.name, status: 'failed', reason: (err as Error).message });
      }
    }
    return results;
  },
  derive(spec, report, anchors): Derived {
    const what = mpiOf(spec);
    const other = (name: string) => anchors.find((a) => a.name === name && a.status === 'ok');
    if (what.kind === 'allreduce') {
      const fast = other(ANCHORS.allreduce[0]!.name);
      const gbps = (report.facts.sent_mb_per_rank! * 2 ** 20) / (report.median_ms / 1000) / 1e9;
      return { fields: { sent_gb_per_s: round(gbps, 2), ...(fast ? { fast_ms: round(fast.median_ms!, 2) } : {}) },
        note: `${report.facts.buffer_mb} MB of gradients (${report.facts.params_m} M params), ${report.facts.sent_mb_per_rank} MB sent per rank` +
          (fast ? `; MPI_Allreduce ${fast.median_ms!.toFixed(1)} ms` : '') };
    }
    if (what.kind === 'step') {
      const shards = other(ANCHORS.step[0]!.name), plain = other(ANCHORS.step[1]!.name);
      const fields: Record<string, number> = {};
      if (shards) fields.ratio_to_one_process_2_shards = round(report.median_ms / shards.median_ms!, 3);
      if (plain) fields.ratio_to_one_process_1_shard = round(report.median_ms / plain.median_ms!, 3);
      return { fields, note: `2 ranks × 32 samples; one process: 2 shards ${shards?.median_ms?.toFixed(0) ?? '?'} ms, 1 shard ${plain?.median_ms?.toFixed(0) ?? '?'} ms` };
    }
    const single = other(ANCHORS.h0[0]!.name);
    const same = single?.facts?.mst_weight === report.facts.mst_weight;
    return { fields: single ? { ratio_to_one_process: round(report.median_ms / single.median_ms!, 3) } : {},
      note: `2 ranks, rank 0 peak ${report.peak_rss_mb} MB; one process ${single?.median_ms?.toFixed(0) ?? '?'} ms, peak ${single?.peak_rss_mb ?? '?'} MB; same MST weight: ${same}` };
  },
};
