// Save and load tfjs models on Node without tfjs-node: a tf.io.IOHandler over `fs` that writes the
// standard layout (what tfjs-node's `file://` handler and the Python converter produce, and what
// `tf.loadLayersModel('https://…/model.json')` reads in a browser):
//   <dir>/model.json   { modelTopology, format, generatedBy, convertedBy, trainingConfig?,
//                        weightsManifest: [{ paths: ['weights.bin'], weights: [...] }] }
//   <dir>/weights.bin  the weights, concatenated in manifest order
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';

export const MODEL_JSON = 'model.json';
export const WEIGHTS_BIN = 'weights.bin';

function toArrayBuffer(data: tf.io.WeightData): ArrayBuffer {
  return tf.io.CompositeArrayBuffer.join(data);
}

/** A save handler writing `<dir>/model.json` and `<dir>/weights.bin` (dir is created). */
export function fileSaver(dir: string): tf.io.IOHandler {
  const root = resolve(dir);
  return {
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      if (artifacts.modelTopology == null || artifacts.modelTopology instanceof ArrayBuffer) {
        throw new Error('fileSaver: binary model topologies are not supported (expected a layers-model JSON)');
      }
      mkdirSync(root, { recursive: true });
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
      writeFileSync(join(root, WEIGHTS_BIN), new Uint8Array(weightData));
      writeFileSync(join(root, MODEL_JSON), JSON.stringify(modelJSON));
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    },
  };
}

/** A load handler reading `<dir>/model.json` (or a path to a `.json` file) and its weight files. */
export function fileLoader(dirOrModelJson: string): tf.io.IOHandler {
  const path = resolve(dirOrModelJson);
  const jsonPath = path.endsWith('.json') ? path : join(path, MODEL_JSON);
  const root = dirname(jsonPath);
  return {
    async load(): Promise<tf.io.ModelArtifacts> {
      const modelJSON = JSON.parse(readFileSync(jsonPath, 'utf8')) as tf.io.ModelJSON;
      if (modelJSON.modelTopology == null) throw new Error(`fileLoader: ${jsonPath} has no modelTopology`);
      return tf.io.getModelArtifactsForJSON(modelJSON, async (manifest) => {
        const specs: tf.io.WeightsManifestEntry[] = [];
        const buffers: ArrayBuffer[] = [];
        for (const group of manifest) {
          specs.push(...group.weights);
          for (const p of group.paths) {
            const bytes = readFileSync(join(root, p));
            buffers.push(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
          }
        }
        return [specs, tf.io.CompositeArrayBuffer.join(buffers)];
      });
    },
  };
}
