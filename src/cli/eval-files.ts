// `topofr eval --model M --bin A.bin[,B.bin…]` and `topofr eval --model M --ijb ROOT --target IJBB|IJBC`:
// a backbone on insightface's verification sets (10-fold accuracy, VAL@FAR=1e-3, XNorm) or on
// IJB-B/C (TAR@FAR 1e-6 … 1e-1). Loaded by `topofr eval` when one of these flags is given.
import { quietTfjs } from '../tf/quiet.js';
import { useBackend } from '../tf/backend.js';
import { TopofrError } from '../errors.js';
import { loadBackbone } from '../model/load-backbone.js';
import { readVerificationBin } from '../data/verification-bin.js';
import { modelEmbedder, modelInputSize } from '../eval/embedder.js';
import { binSummary, evaluateVerificationBin, type BinSummary } from '../eval/verification-set.js';
import { evaluateIjb } from '../eval/ijb.js';
import { setName } from '../train/verification-callback.js';

export interface EvalFileFlags {
  model: string;
  bin?: string;
  ijb?: string;
  target?: string;
  json?: boolean;
  batchSize?: number;
}

const say = (line: string) => process.stderr.write(`topofr: ${line}\n`);

export async function evalFiles(flags: EvalFileFlags): Promise<void> {
  quietTfjs();
  await useBackend('cpu');
  const model = await loadBackbone(flags.model);
  const embed = modelEmbedder(model, flags.batchSize ?? 64);
  if (flags.bin) {
    const results: Record<string, BinSummary> = {};
    for (const path of flags.bin.split(',').map((p) => p.trim()).filter(Boolean)) {
      const name = setName(path);
      const e = await evaluateVerificationBin(readVerificationBin(path), embed, { imageSize: modelInputSize(model), source: name, warn: say });
      results[name] = binSummary(e);
      if (!flags.json) {
        process.stdout.write(`[${name}]XNorm: ${e.xnorm.toFixed(6)}\n[${name}]Accuracy-Flip: ${e.accuracy.toFixed(5)}+-${e.std.toFixed(5)}\n`);
        if (e.valAtFar1e3 !== undefined) process.stdout.write(`[${name}]VAL@FAR=1e-3: ${e.valAtFar1e3.toFixed(5)}\n`);
      }
    }
    if (flags.json) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
    return;
  }
  const target = (flags.target ?? 'IJBC').toUpperCase();
  if (target !== 'IJBB' && target !== 'IJBC') throw new TopofrError('ERR_TOPOFR_INVALID_VALUE', `--target must be IJBB or IJBC, got ${flags.target}`);
  const tty = process.stderr.isTTY;
  const e = await evaluateIjb({
    root: flags.ijb!, target, embed, batchSize: flags.batchSize ?? 128,
    onProgress: (done, total) => {
      if (tty) process.stderr.write(`\rtopofr: embedded ${done}/${total} images\x1b[K${done === total ? '\n' : ''}`);
    },
  });
  const summary = { target: e.target, images: e.images, templates: e.templates, pairs: e.pairs, genuinePairs: e.genuinePairs, tarAtFar: e.tarAtFar, auc: e.auc };
  if (flags.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  else {
    const fars = Object.keys(e.tarAtFar);
    process.stdout.write(`${target}: ${e.images} images, ${e.templates} templates, ${e.pairs} pairs (${e.genuinePairs} genuine), AUC ${(100 * e.auc).toFixed(2)}\n`);
    process.stdout.write(`TAR@FAR ${fars.join('\t')}\n        ${fars.map((f) => (100 * e.tarAtFar[f]!).toFixed(2)).join('\t')}\n`);
  }
}
