// One way to name a backbone on the command line: a folder with model.json + weights.bin (a run's
// model/ folder, or the run folder itself), or an ONNX file (an IResNet, imported into tfjs).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { TopofrError } from '../errors.js';
import { fileLoader, MODEL_JSON } from './file-io.js';
import { loadIResNet } from './iresnet.js';
import { loadOnnxIResNet } from './onnx/import.js';

export async function loadBackbone(path: string): Promise<tf.LayersModel> {
  if (/\.onnx$/i.test(path)) return loadOnnxIResNet(path);
  const dir = existsSync(join(path, MODEL_JSON)) ? path : existsSync(join(path, 'model', MODEL_JSON)) ? join(path, 'model') : undefined;
  if (!dir && !path.endsWith('.json'))
    throw new TopofrError('ERR_TOPOFR_INVALID_VALUE', `no model at ${path}: expected a folder with ${MODEL_JSON} (e.g. runs/demo/model) or an .onnx file`);
  return loadIResNet(fileLoader(dir ?? path));
}
