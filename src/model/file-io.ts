// Save and load tfjs models on Node without tfjs-node: a tf.io.IOHandler over `fs` that writes the
// standard layout (what tfjs-node's `file://` handler and the Python converter produce, and what
// `tf.loadLayersModel('https://…/model.json')` reads in a browser):
//   <dir>/model.json   { modelTopology, format, generatedBy, convertedBy, trainingConfig?,
//                        weightsManifest: [{ paths: ['weights.bin'], weights: [...] }] }
//   <dir>/weights.bin  the weights, concatenated in manifest order
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { TopofrError, TopofrTypeError } from '../errors.js';
import { writingTo } from '../io/durable-file.js';
import { describeValue } from '../util/check.js';
import { printable } from '../util/printable.js';

export const MODEL_JSON = 'model.json';
export const WEIGHTS_BIN = 'weights.bin';

function toArrayBuffer(data: tf.io.WeightData): ArrayBuffer {
  return tf.io.CompositeArrayBuffer.join(data);
}

/** A save handler writing `<dir>/model.json` and `<dir>/weights.bin` (dir is created). */
export function fileSaver(dir: string): tf.io.IOHandler {
  if (typeof dir !== 'string' || dir === '') throw new TopofrTypeError('ERR_TOPOFR_INVALID_TYPE', `fileSaver: expected a folder path, got ${describeValue(dir)}`);
  const root = resolve(dir);
  return {
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      if (artifacts.modelTopology == null || artifacts.modelTopology instanceof ArrayBuffer) {
        throw new TopofrError('ERR_TOPOFR_UNSUPPORTED', 'fileSaver: binary model topologies are not supported (expected a layers-model JSON)');
      }
      writingTo(`the model to ${root}`, () => mkdirSync(root, { recursive: true }));
      const weightData = artifacts.weightData === undefined ? new ArrayBuffer(0) : toArrayBuffer(artifacts.weightData);
      const manifest: tf.io.WeightsManifestConfig = [{ paths: [`./${WEIGHTS_BIN}`], weights: artifacts.weightSpecs ?? [] }];
      const modelJSON: tf.io.ModelJSON = {
        modelTopology: artifacts.modelTopology,
        format: artifacts.format ?? 'layers-model',
        generatedBy: artifacts.generatedBy ?? `TensorFlow.js tfjs-layers v${tf.version.tfjs}`,
        convertedBy: artifacts.convertedBy ?? null,
        weightsManifest: manifest,
      };
      if (artifacts.trainingConfig != null) modelJSON.trainingConfig = artifacts.trainingConfig;
      if (artifacts.signature != null) modelJSON.signature = artifacts.signature;
      if (artifacts.userDefinedMetadata != null) modelJSON.userDefinedMetadata = artifacts.userDefinedMetadata;
      if (artifacts.modelInitializer != null) modelJSON.modelInitializer = artifacts.modelInitializer;
      if (artifacts.initializerSignature != null) modelJSON.initializerSignature = artifacts.initializerSignature;
      writingTo(`the model to ${root}`, () => {
        writeFileSync(join(root, WEIGHTS_BIN), new Uint8Array(weightData));
        writeFileSync(join(root, MODEL_JSON), JSON.stringify(modelJSON));
      });
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    },
  };
}

/** Bytes per element of a weight as stored (its quantized dtype if quantized). */
const STORED_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2 };

const corrupt = (path: string, why: string): TopofrError => new TopofrError('ERR_TOPOFR_PARSE', `${printable(path)}: ${why}`);

/** Bytes one manifest entry occupies in the weight files; a corrupt entry is refused. */
function storedBytes(spec: tf.io.WeightsManifestEntry, jsonPath: string): number {
  const where = `weight ${printable(JSON.stringify(spec?.name ?? null))}`;
  if (spec === null || typeof spec !== 'object' || typeof spec.name !== 'string' || !Array.isArray(spec.shape) ||
    !spec.shape.every((d) => Number.isSafeInteger(d) && d >= 0))
    throw corrupt(jsonPath, `${where} has no valid name and shape`);
  const dtype = spec.quantization?.dtype ?? spec.dtype;
  const bytes = STORED_BYTES[dtype as string];
  if (bytes === undefined || (spec.quantization === undefined && !['float32', 'int32', 'bool'].includes(spec.dtype)))
    throw corrupt(jsonPath, `${where} has an unsupported dtype ${printable(JSON.stringify(dtype) ?? '')}`);
  return spec.shape.reduce((a, b) => a * b, 1) * bytes;
}

/** `<root>/<p>` for a manifest path p, which must name a file inside the model folder. */
function weightsFile(root: string, p: unknown, jsonPath: string): string {
  const file = typeof p === 'string' ? resolve(root, p) : '';
  const inside = relative(root, file);
  if (typeof p !== 'string' || isAbsolute(p) || inside === '' || inside.startsWith('..') || isAbsolute(inside))
    throw corrupt(jsonPath, `the weights path ${printable(JSON.stringify(p) ?? String(p))} is not a file inside ${printable(root)}`);
  return file;
}

function readOrFail(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new TopofrError('ERR_TOPOFR_IO', `cannot read ${printable(path)}: ${printable((err as Error).message)}`);
  }
}

/**
 * A load handler reading `<dir>/model.json` (or a path to a `.json` file) and its weight files.
 * Files are untrusted: model.json must parse and have a topology and a weights manifest whose paths
 * stay inside its folder, and the weight files must hold exactly the bytes the manifest describes.
 * Failures are TopofrErrors (ERR_TOPOFR_IO: unreadable, ERR_TOPOFR_PARSE: corrupt).
 */
export function fileLoader(dirOrModelJson: string): tf.io.IOHandler {
  if (typeof dirOrModelJson !== 'string' || dirOrModelJson === '')
    throw new TopofrTypeError('ERR_TOPOFR_INVALID_TYPE', `fileLoader: expected a folder or model.json path, got ${describeValue(dirOrModelJson)}`);
  const path = resolve(dirOrModelJson);
  const jsonPath = path.endsWith('.json') ? path : join(path, MODEL_JSON);
  const root = dirname(jsonPath);
  return {
    async load(): Promise<tf.io.ModelArtifacts> {
      let modelJSON: tf.io.ModelJSON;
      try {
        modelJSON = JSON.parse(readOrFail(jsonPath).toString('utf8')) as tf.io.ModelJSON;
      } catch (err) {
        if (err instanceof TopofrError) throw err;
        throw corrupt(jsonPath, 'not valid JSON');
      }
      if (modelJSON === null || typeof modelJSON !== 'object' || modelJSON.modelTopology == null || typeof modelJSON.modelTopology !== 'object')
        throw corrupt(jsonPath, 'no modelTopology (not a tfjs layers model.json)');
      const manifest = modelJSON.weightsManifest;
      if (!Array.isArray(manifest) || !manifest.every((g) => g !== null && typeof g === 'object' && Array.isArray(g.paths) && Array.isArray(g.weights)))
        throw corrupt(jsonPath, 'no valid weightsManifest (groups of paths and weights)');
      return tf.io.getModelArtifactsForJSON(modelJSON, async (groups) => {
        const specs: tf.io.WeightsManifestEntry[] = [];
        const buffers: ArrayBuffer[] = [];
        for (const group of groups) {
          const expected = group.weights.reduce((sum, spec) => sum + storedBytes(spec, jsonPath), 0);
          let found = 0;
          for (const p of group.paths) {
            const bytes = readOrFail(weightsFile(root, p, jsonPath));
            found += bytes.byteLength;
            buffers.push(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
          }
          if (found !== expected)
            throw corrupt(jsonPath, `its weights need ${expected} bytes but ${group.paths.map((p) => printable(String(p))).join(', ')} hold ${found}`);
          specs.push(...group.weights);
        }
        return [specs, tf.io.CompositeArrayBuffer.join(buffers)];
      });
    },
  };
}
