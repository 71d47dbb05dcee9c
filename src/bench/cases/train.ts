// train-step-*: one SGD step (lr 0.1) of an IResNet with a softmax classification head (dense to
// `classes` logits + softmaxCrossEntropy on the embedding), on tfjs's pure-JS cpu backend with the
// native conv/matmul kernels registered. Anchors: the same step on tfjs's own JS kernels, measured
// in its own child process (variant 'js', cases with jsAnchor only: it is slow), and the same model
// and head in PyTorch on the CPU with as many threads as our native kernels use
// (bench/anchors/torch_train_step.py). The input is the case's seeded Gaussian file, read as
// batch × inputSize × inputSize × 3 NHWC images (PyTorch permutes it to NCHW).
import { availableParallelism } from 'node:os';
import { readBinary } from '../data.js';
import { runInChild } from '../harness.js';
import { TORCH_ANCHOR, torchTrainAnchor } from '../anchors.js';
import { round } from './check.js';
import type { AnchorResult, CaseFamily, CaseSpec, Derived, Prepared } from '../types.js';

export interface TrainCase {
  depth: 18;
  inputSize: number;
  batch: number;
  widthMultiplier: number;
  classes: number;
  embeddingSize: number;
}

export const JS_ANCHOR = 'tfjs JS cpu';
export const TRAIN_LR = 0.1;

export function trainOf(spec: CaseSpec): TrainCase {
  if (!spec.train) throw new TypeError(`bench case ${spec.name} is not a training case`);
  return spec.train;
}

/** The spec of a training case: n = batch images of dim = inputSize²·3 values each. */
export function trainSpec(name: string, t: TrainCase, extra: Partial<CaseSpec>): CaseSpec {
  return { name, family: 'train', n: t.batch, dim: t.inputSize * t.inputSize * 3, quick: false, train: t, ...extra };
}

/** Builds the model, head, optimizer and batch; `run` is one optimizer step. Variant 'js' keeps
 *  tfjs's own cpu kernels (the anchor); anything else registers the native ones. */
export async function prepareTrainStep(spec: CaseSpec, file: string, variant?: string): Promise<Prepared> {
  const t = trainOf(spec);
  const tf = await import('@tensorflow/tfjs');
  (await import('../../tf/quiet.js')).quietTfjs();
  const { iresnet } = await import('../../model/iresnet.js');
  const { useBackend } = await import('../../tf/backend.js');
  // The anchor variant 'js' is tfjs's own cpu kernels; otherwise the backend `topofr bench
  // --backend` chose (TOPOFR_BACKEND, inherited by the case's child process), cpu by default.
  if (variant === 'js') await useBackend('cpu', { nativeKernels: false });
  else await useBackend(process.env.TOPOFR_BACKEND ?? 'cpu');

  const { data } = readBinary(file, spec.n, spec.dim);
  const x = tf.tensor4d(data, [t.batch, t.inputSize, t.inputSize, 3]);
  const labels = tf.oneHot(tf.tensor1d(Array.from({ length: t.batch }, (_, i) => (i * 7919) % t.classes), 'int32'), t.classes);
  const model = iresnet({ depth: t.depth, inputSize: t.inputSize, widthMultiplier: t.widthMultiplier, embeddingSize: t.embeddingSize, seed: 7 });
  const w = tf.variable(tf.randomNormal([t.embeddingSize, t.classes], 0, 0.01, 'float32', 11), true, 'bench.head.kernel');
  const b = tf.variable(tf.zeros([t.classes]), true, 'bench.head.bias');
  const optimizer = tf.train.sgd(TRAIN_LR);
  let loss = NaN;
  const step = (): void => {
    const cost = optimizer.minimize(() => {
      const emb = model.apply(x, { training: true }) as import('@tensorflow/tfjs').Tensor2D;
      const logits = tf.add(tf.matMul(emb, w), b);
      return tf.losses.softmaxCrossEntropy(labels, logits) as import('@tensorflow/tfjs').Scalar;
    }, true);
    loss = cost ? cost.dataSync()[0] : NaN;
    cost?.dispose();
  };
  return {
    run: step,
    facts: () => ({ loss: round(loss, 4), batch: t.batch, input_size: t.inputSize, width_multiplier: t.widthMultiplier, params_m: round(model.countParams() / 1e6, 2) }),
  };
}

const imgPerS = (batch: number, ms: number): number => (batch * 1000) / ms;

/** The native kernels' thread count, as native/core/thread_pool.cc picks it (TOPOFR_NUM_THREADS,
 *  else the hardware's), computed here because the parent never loads the addon; derive() checks
 *  it against the threads the case's child reported. */
function nativeThreads(): number {
  const n = Number.parseInt(process.env.TOPOFR_NUM_THREADS ?? '', 10);
  return n > 0 ? Math.min(n, 1024) : availableParallelism();
}

const QUICK_SKIP = '--quick measures the native kernels only';

export const trainFamily: CaseFamily = {
  prepare: (spec, file, variant) => prepareTrainStep(spec, file, variant),
  async anchors(spec, files, runs, quick): Promise<AnchorResult[]> {
    const t = trainOf(spec);
    const torch: AnchorResult = quick
      ? { name: TORCH_ANCHOR, status: 'unavailable', reason: QUICK_SKIP }
      : torchTrainAnchor(files.input, { ...t, threads: nativeThreads() }, 1, runs);
    if (!spec.jsAnchor) return [torch];
    if (quick) return [{ name: JS_ANCHOR, status: 'unavailable', reason: QUICK_SKIP }, torch];
    try {
      const r = await runInChild({ caseName: spec.name, file: files.input, warmup: 1, runs, variant: 'js' });
      return [{ name: JS_ANCHOR, status: 'ok', median_ms: r.median_ms, min_ms: r.min_ms, max_ms: r.max_ms, runs: r.runs, peak_rss_mb: r.peak_rss_mb, facts: r.facts }, torch];
    } catch (err) {
      return [{ name: JS_ANCHOR, status: 'failed', reason: (err as Error).message }, torch];
    }
  },
  derive(spec, report, anchors): Derived {
    const t = trainOf(spec);
    const ips = imgPerS(t.batch, report.median_ms);
    const js = anchors.find((a) => a.name === JS_ANCHOR && a.status === 'ok');
    const torch = anchors.find((a) => a.name.startsWith(TORCH_ANCHOR) && a.status === 'ok');
    const fields: Record<string, number> = { ms_per_step: round(report.median_ms, 1), img_per_s: round(ips, 2) };
    const notes: string[] = [];
    if (js?.median_ms) {
      fields.js_img_per_s = round(imgPerS(t.batch, js.median_ms), 2);
      notes.push(`tfjs JS ${imgPerS(t.batch, js.median_ms).toFixed(2)} img/s`);
    }
    if (torch?.median_ms) {
      // PyTorch's time ÷ ours: > 1, we are that many times faster; < 1, slower.
      const ratio = torch.median_ms / report.median_ms;
      fields.torch_ms_per_step = round(torch.median_ms, 1);
      fields.torch_img_per_s = round(imgPerS(t.batch, torch.median_ms), 2);
      fields.torch_ratio = round(ratio, 3);
      if (torch.facts?.loss !== undefined) fields.torch_loss = round(torch.facts.loss, 4);
      // Peak RSS side by side: each process's own high-water mark (ours includes Node's ≈ 50 MB).
      if (torch.peak_rss_mb !== undefined) {
        fields.torch_peak_rss_mb = round(torch.peak_rss_mb, 1);
        fields.rss_ratio = round(report.peak_rss_mb / torch.peak_rss_mb, 3);
      }
      const verdict = ratio >= 1 ? `${ratio.toFixed(2)}× faster` : `${(1 / ratio).toFixed(2)}× slower`;
      notes.push(`PyTorch ${fields.torch_img_per_s.toFixed(2)} img/s, ${torch.median_ms.toFixed(0)} ms/step: ours ${verdict}`);
      if (torch.peak_rss_mb !== undefined) notes.push(`peak RSS ${report.peak_rss_mb.toFixed(0)} MB vs PyTorch's ${torch.peak_rss_mb.toFixed(0)} MB`);
      // Same model and same cores, or the ratio means little: say so when either differs.
      const theirs = torch.facts?.params_m;
      const ours = report.facts.params_m;
      if (theirs !== undefined && ours !== undefined && Math.abs(theirs - ours) > 0.01) notes.push(`params differ: PyTorch ${theirs.toFixed(2)} M`);
      if (torch.facts?.threads !== undefined && torch.facts.threads !== report.threads) notes.push(`PyTorch on ${torch.facts.threads} threads, ours ${report.threads}`);
    }
    return { fields, note: `${ips.toFixed(2)} img/s${notes.length ? ` (${notes.join('; ')})` : ''}` };
  },
};
