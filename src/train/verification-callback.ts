// The official verification callback (arcface_torch utils_callbacks.CallBackVerification): every
// `valEvery` steps (global step > 0 and a multiple of it), the backbone in inference mode is scored
// on each `.bin` set of `--val`; it logs
//   [lfw][2000]XNorm: …   [lfw][2000]Accuracy-Flip: …+-…   [lfw][2000]Accuracy-Highest: …
// and the record goes to metrics.jsonl ({ step, val: { lfw: { … } } }) and the report. The sets are
// read once (compressed) and decoded at each callback, so memory holds only the files.
import { basename, extname } from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { readVerificationBin, type VerificationBin } from '../data/verification-bin.js';
import { modelEmbedder, modelInputSize } from '../eval/embedder.js';
import { evaluateVerificationBin, binSummary, type BinSummary } from '../eval/verification-set.js';
import type { TrainConfig } from './config.js';

export interface ValRecord {
  step: number;
  val: Record<string, BinSummary & { highest: number }>;
}

/** A `.bin` path's set name: its base name without the extension (lfw.bin → lfw). */
export const setName = (path: string): string => basename(path, extname(path));

export class VerificationCallback {
  private readonly highest = new Map<string, number>();

  private constructor(private readonly sets: { name: string; set: VerificationBin }[], readonly every: number,
    private readonly log: (line: string) => void) {}

  /** The callback of a config, or undefined when `val` is empty. */
  static fromConfig(config: Pick<TrainConfig, 'val' | 'valEvery'>, log: (line: string) => void = () => {}): VerificationCallback | undefined {
    const paths = config.val.split(',').map((p) => p.trim()).filter(Boolean);
    if (paths.length === 0) return undefined;
    return new VerificationCallback(paths.map((p) => ({ name: setName(p), set: readVerificationBin(p) })), config.valEvery, log);
  }

  /** Whether the callback runs after global step `step` (1-based count of finished steps). */
  due(step: number): boolean {
    return step > 0 && step % this.every === 0;
  }

  async run(step: number, model: tf.LayersModel): Promise<ValRecord> {
    const embed = modelEmbedder(model);
    const imageSize = modelInputSize(model);
    const val: ValRecord['val'] = {};
    for (const { name, set } of this.sets) {
      const e = await evaluateVerificationBin(set, embed, { imageSize, source: name, warn: this.log });
      const highest = Math.max(this.highest.get(name) ?? 0, e.accuracy);
      this.highest.set(name, highest);
      this.log(`[${name}][${step}]XNorm: ${e.xnorm.toFixed(6)}`);
      this.log(`[${name}][${step}]Accuracy-Flip: ${e.accuracy.toFixed(5)}+-${e.std.toFixed(5)}`);
      this.log(`[${name}][${step}]Accuracy-Highest: ${highest.toFixed(5)}`);
      val[name] = { ...binSummary(e), highest };
    }
    return { step, val };
  }
}
