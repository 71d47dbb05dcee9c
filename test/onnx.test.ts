import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { TopofrError } from '../src/errors.js';
import { iresnet } from '../src/model/iresnet.js';
import { encodeIResNetOnnx, exportOnnx, iresnetToOnnx } from '../src/model/onnx/export.js';
import { loadOnnxIResNet, onnxToIResNet } from '../src/model/onnx/import.js';
import { decodeOnnxModel, encodeOnnxModel } from '../src/model/onnx/onnx-proto.js';
import { randomizeBatchNorms, short } from './support/model-weights.js';

tf.enableProdMode();
const tmp = mkdtempSync(join(tmpdir(), 'topofr-onnx-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const FIXTURES = join(import.meta.dirname, 'fixtures', 'onnx');

/** A small IResNet-18 with every BatchNorm and PReLU non-trivial. */
function smallModel(seed: number, inputSize = 112) {
  const model = iresnet({ depth: 18, inputSize, widthMultiplier: 1 / 16, embeddingSize: 16, seed });
  randomizeBatchNorms(model);
  let salt = 100;
  for (const layer of model.layers.filter((l) => l.getClassName() === 'PReLU'))
    for (const v of layer.weights) v.write(tf.randomUniform(v.shape as number[], 0.05, 0.5, 'float32', ++salt));
  return model;
}

/** Images in [−1, 1], NHWC for tfjs and the same values NCHW for ONNX. */
function images(n: number, size: number, seed: number) {
  const nhwc = tf.randomUniform([n, size, size, 3], -1, 1, 'float32', seed) as tf.Tensor4D;
  const nchw = nhwc.transpose([0, 3, 1, 2]).dataSync() as Float32Array;
  return { nhwc, nchw };
}

async function runOnnx(bytes: Uint8Array, nchw: Float32Array, n: number, size: number): Promise<{ output: Float32Array; names: { in: readonly string[]; out: readonly string[] } }> {
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'] });
  const result = await session.run({ [session.inputNames[0]!]: new ort.Tensor('float32', nchw, [n, 3, size, size]) });
  return { output: result[session.outputNames[0]!]!.data as Float32Array, names: { in: session.inputNames, out: session.outputNames } };
}

/** max |a − b| relative to max |b|. */
function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let err = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    err = Math.max(err, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return err / scale;
}

describe('ONNX export (arcface_torch torch2onnx.py layout)', () => {
  it('onnxruntime gives the tfjs embeddings (≤ 1e-4 relative), with a dynamic batch', async () => {
    const model = smallModel(5);
    const path = join(tmp, 'r18.onnx');
    exportOnnx(model, path);
    const bytes = readFileSync(path);
    for (const n of [1, 3]) {
      const { nhwc, nchw } = images(n, 112, 7 + n);
      const want = (model.predict(nhwc) as tf.Tensor).dataSync();
      const { output, names } = await runOnnx(bytes, nchw, n, 112);
      expect(names).toEqual({ in: ['data'], out: ['embedding'] });
      expect(output.length).toBe(n * 16);
      expect(relativeError(output, want)).toBeLessThan(1e-4);
    }
  });

  it('has the torch export graph: opset 11, input data [None, 3, 112, 112], folded Conv+BN', () => {
    const onnx = decodeOnnxModel(encodeIResNetOnnx(smallModel(1)), 'r18.onnx');
    expect(onnx.opsetImports).toEqual([{ domain: '', version: 11 }]);
    expect(onnx.graph.inputs).toEqual([{ name: 'data', elemType: 1, shape: ['None', 3, 112, 112] }]);
    expect(onnx.graph.outputs).toEqual([{ name: 'embedding', elemType: 1, shape: ['None', 16] }]);
    const ops = new Map<string, number>();
    for (const n of onnx.graph.nodes) ops.set(n.opType, (ops.get(n.opType) ?? 0) + 1);
    // r18: 1 + 8·2 + 4 convs, 8 block BNs + bn2 + features, 1 + 8 PReLUs, 8 Adds.
    expect(Object.fromEntries(ops)).toEqual({ Conv: 21, BatchNormalization: 10, PRelu: 9, Add: 8, Flatten: 1, Gemm: 1 });
  });

  it('the protobuf round-trips: decode(encode(m)) re-encodes to the same bytes', () => {
    const bytes = encodeIResNetOnnx(smallModel(2, 32));
    expect(Buffer.from(encodeOnnxModel(decodeOnnxModel(bytes, 'm.onnx'))).equals(Buffer.from(bytes))).toBe(true);
  });
});

describe('ONNX import into the tfjs IResNet', () => {
  it('a topofr export imports back to the same function', () => {
    const model = smallModel(9, 32);
    const back = onnxToIResNet(iresnetToOnnx(model));
    const { nhwc } = images(2, 32, 3);
    expect(relativeError((back.predict(nhwc) as tf.Tensor).dataSync(), (model.predict(nhwc) as tf.Tensor).dataSync())).toBeLessThan(1e-5);
    expect(back.layers.map((l) => l.name)).toEqual(model.layers.map((l) => l.name));
  });

  it('a model exported by PyTorch (torch.onnx.export as torch2onnx.py) gives PyTorch\'s embeddings', async () => {
    const expected = JSON.parse(readFileSync(join(FIXTURES, 'torch-r18.json'), 'utf8')) as { shape: number[]; output: number[] };
    const [n, , size] = expected.shape as [number, number, number, number];
    const model = loadOnnxIResNet(join(FIXTURES, 'torch-r18.onnx'));
    const nchw = Float32Array.from({ length: n * 3 * size * size }, (_, i) => (((i * 7919) % 2001) - 1000) / 1000);
    const nhwc = tf.tensor4d(nchw, [n, 3, size, size]).transpose([0, 2, 3, 1]);
    expect(relativeError((model.predict(nhwc) as tf.Tensor).dataSync(), expected.output)).toBeLessThan(1e-4);
    // onnxruntime on the same file agrees with PyTorch too (the oracle's oracle).
    const { output } = await runOnnx(readFileSync(join(FIXTURES, 'torch-r18.onnx')), nchw, n, size);
    expect(relativeError(output, expected.output)).toBeLessThan(1e-4);
    // and re-exporting the imported model gives what onnxruntime computes on the original.
    const again = await runOnnx(encodeIResNetOnnx(model), nchw, n, size);
    expect(relativeError(again.output, expected.output)).toBeLessThan(1e-4);
  });

  it('refuses graphs that are not an IResNet, and broken files, with typed errors', () => {
    const onnx = iresnetToOnnx(smallModel(4, 32));
    const prelu = onnx.graph.nodes.find((n) => n.opType === 'PRelu')!;
    prelu.opType = 'Relu';
    expect(() => onnxToIResNet(onnx, 'relu.onnx')).toThrow(TopofrError);
    expect(() => onnxToIResNet(onnx, 'relu.onnx')).toThrow(/relu\.onnx.*expected a PReLU \(PRelu\)/);
    const bytes = encodeIResNetOnnx(smallModel(4, 32));
    expect(() => decodeOnnxModel(bytes.subarray(0, bytes.length - 100), 'cut.onnx')).toThrow(/cut\.onnx.*runs past the end/);
    expect(() => decodeOnnxModel(new Uint8Array([0x08]), 'tiny.onnx')).toThrow(TopofrError);
    expect(() => loadOnnxIResNet(join(tmp, 'missing.onnx'))).toThrow(/cannot read the ONNX model/);
    void short;
  });
});
