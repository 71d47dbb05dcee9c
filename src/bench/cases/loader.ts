// The real-data loader's costs (issue 11):
// * loader-decode-112-q95: decode + resize check + flip + normalise of 112×112 JPEG q95 faces from a
//   .rec by the worker-thread loader (2 workers, batches of 128, 4 batches = 512 images per timed
//   run); reports images/s against the target of 2000 img/s on 2 cores. It decodes with whatever
//   jpegDecoder() picks (libjpeg-turbo where loadable); -sharp forces sharp (TOPOFR_JPEG=sharp) and
//   runs first, and the default row reports its CPU per image against sharp's.
// * train-step-r18-112-b32-memory / -rec: the same IResNet-18 step (112×112, batch 32, ArcFace, 50
//   identities × 8 rendered faces) fed from images already in memory (the synthetic split's byte
//   cache, filled before timing) and from a .rec of the same faces (JPEG q95) through the loader;
//   the -rec row reports its ratio to the -memory row measured in the same run (1.0: the loader is
//   never the bottleneck).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { round } from './check.js';
import type { CaseFamily, CaseSpec, Derived } from '../types.js';

export type LoaderBench = { kind: 'decode'; images: number; batch: number; jpeg?: 'sharp' } | { kind: 'step'; from: 'memory' | 'rec' };

export function loaderOf(spec: CaseSpec): LoaderBench {
  if (!spec.loader) throw new TypeError(`bench case ${spec.name} is not a loader case`);
  return spec.loader;
}

/** The step cases' setting: IResNet-18 at 112×112, batch 32, plain ArcFace. */
const STEP = { trainIdentities: 50, testIdentities: 2, samplesPerIdentity: 8, imageSize: 112, batchSize: 32, widthMultiplier: 1,
  embeddingSize: 512, progress: false, alpha: 0, rspProbability: 0, omega1: 'none', omega2: 'none', dataWorkers: 2 } as const;
const TARGET_IMAGES_PER_S = 2000;

/** A temporary folder removed when the case's process exits. */
function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), 'topofr-bench-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Packs `count` faces of the synthetic split (identity k's images in folder k) as JPEG q95 into a .rec. */
async function packFaces(read: (i: number) => Promise<{ image: { data: Uint8Array }; label: number }>, count: number, size: number): Promise<string> {
  const { encodeJpeg } = await import('../../data/image-codec.js');
  const { packFolder } = await import('../../data/pack.js');
  const dir = scratch();
  for (let i = 0; i < count; i++) {
    const { image, label } = await read(i);
    const folder = join(dir, 'faces', `id${String(label).padStart(6, '0')}`);
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, `${String(i).padStart(6, '0')}.jpg`), await encodeJpeg(image.data, size, size, 95));
  }
  return (await packFolder(join(dir, 'faces'), join(dir, 'train'))).rec;
}

export const loaderFamily: CaseFamily = {
  async prepare(spec) {
    const what = loaderOf(spec);
    (await import('../../tf/quiet.js')).quietTfjs();
    const { resolveConfig } = await import('../../train/config.js');
    if (what.kind === 'decode') {
      const { trainingSource } = await import('../../data/training-source.js');
      const { openDataset } = await import('../../data/source.js');
      const { createLoader } = await import('../../data/loader.js');
      const config = resolveConfig({}, { trainIdentities: what.images / 8, samplesPerIdentity: 8, imageSize: 112 });
      const rec = await packFaces((await trainingSource(config)).read, what.images, 112);
      if (what.jpeg) process.env.TOPOFR_JPEG = what.jpeg; // this case's own process; read when the loader starts
      const { jpegDecoder } = await import('../../data/jpeg-turbo.js');
      const turbo = jpegDecoder().decoder === 'libjpeg-turbo' ? 1 : 0;
      const loader = createLoader(await openDataset(rec), { batchSize: what.batch, imageSize: 112, seed: 1, workers: 2, prefetch: 2 });
      const perRun = what.images / what.batch;
      let step = 0;
      // CPU time of the whole process (workers included) per image: on a shared machine this says
      // more than wall time about what 2 idle cores would do.
      let cpuMicros = 0, loaded = 0;
      return {
        run: async () => {
          const before = process.cpuUsage();
          for (let k = 0; k < perRun; k++) await loader.batch(step++);
          const used = process.cpuUsage(before);
          cpuMicros += used.user + used.system;
          loaded += what.images;
        },
        facts: () => ({ images_per_run: what.images, workers: 2, cpu_us_per_image: Math.round(cpuMicros / loaded), libjpeg_turbo: turbo }),
      };
    }
    const { createSession } = await import('../../train/trainer.js');
    let config = resolveConfig({}, STEP);
    if (what.from === 'rec') {
      const memory = await createSession(config);
      const rec = await packFaces(memory.source.read, memory.source.size, 112);
      await memory.close();
      config = resolveConfig({}, { ...STEP, data: rec });
    }
    const session = await createSession(config);
    if (what.from === 'memory') for (let i = 0; i < session.source.size; i++) await session.source.read(i); // fill the byte cache
    let k = 0, loss = NaN;
    return { run: async () => void (loss = (await session.step(k++)).loss), facts: () => ({ loss: round(loss, 4), batch: config.batchSize }) };
  },
  anchors: async () => [],
  derive(spec, report, _anchors, done): Derived {
    const what = loaderOf(spec);
    if (what.kind === 'decode') {
      const rate = (what.images * 1000) / report.median_ms;
      const cpu = report.facts.cpu_us_per_image ?? NaN;
      const decoder = report.facts.libjpeg_turbo ? 'libjpeg-turbo' : 'sharp';
      const sharpCpu = spec.reference ? (done.get(spec.reference)?.cpu_us_per_image as number | undefined) : undefined;
      const versus = sharpCpu ? `; ${round(sharpCpu / cpu, 2)}× less CPU than sharp` : '';
      return { fields: { images_per_s: Math.round(rate), cpu_us_per_image: cpu, ...(sharpCpu ? { cpu_ratio_to_sharp: round(cpu / sharpCpu, 3) } : {}) },
        note: `${decoder}: ${Math.round(rate)} img/s decode + flip + normalise, 2 workers; ${cpu} µs CPU per image (≈ ${Math.round(2e6 / cpu)} img/s on 2 idle cores)${versus}; target ≥ ${TARGET_IMAGES_PER_S}` };
    }
    const ref = spec.reference ? done.get(spec.reference) : undefined;
    if (ref) {
      const ratio = report.median_ms / ref.median_ms;
      return { fields: { ratio_to_memory: round(ratio, 3) }, note: `${ratio.toFixed(2)}× the step fed from memory` };
    }
    return { fields: {}, note: `batch ${report.facts.batch}, images in memory` };
  },
};
