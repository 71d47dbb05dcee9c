// The PyTorch checkpoint reader and the IResNet state_dict importer against files written by
// PyTorch 1.13 (test/fixtures/torch, made by generate.py there): tensors of every dtype and layout,
// the embeddings of an imported IResNet in eval mode, its batch statistics in training mode, the
// round trip back to PyTorch names, and typed errors for what is not a usable checkpoint.
import { readFileSync } from 'node:fs';
import { deflateRawSync } from 'node:zlib';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readTorchCheckpoint, torchStateDict, type TorchTensor } from '../src/io/torch-checkpoint.js';
import { unpickle } from '../src/io/pickle.js';
import { readZip } from '../src/io/zip.js';
import { iresnetFromStateDict, iresnetStateDict, loadTorchIResNet } from '../src/model/iresnet-torch.js';
import { registerNativeKernels, unregisterNativeKernels } from '../src/tf/native-kernels.js';
import { thrownCode as code } from './support/error-code.js';

tf.enableProdMode();
beforeAll(() => registerNativeKernels());
afterAll(() => unregisterNativeKernels());

const fixture = (name: string) => new URL(`./fixtures/torch/${name}`, import.meta.url);
const bytes = (name: string) => new Uint8Array(readFileSync(fixture(name)));
const meta = JSON.parse(readFileSync(fixture('cases.json'), 'utf8')) as {
  model: { depth: number; inputSize: number; widthMultiplier: number; embeddingSize: number; classes: number };
  dtypes: Record<string, { shape: number[]; values: number[] }>;
};
const cases = torchStateDict(readTorchCheckpoint(bytes('cases.pt'), 'cases.pt'));
const tensor = (name: string): TorchTensor => {
  const t = cases.get(name);
  if (!t) throw new Error(`cases.pt has no ${name}`);
  return t;
};
const nhwc = (name: string) => tf.tensor4d(tensor(name).values as Float32Array, tensor(name).shape as [number, number, number, number]);

/** max |a − b| / max |b|: the relative error of a whole tensor. */
function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let err = 0, scale = 0;
  for (let i = 0; i < a.length; i++) {
    err = Math.max(err, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return err / scale;
}

describe('readTorchCheckpoint', () => {
  it('reads every dtype and layout PyTorch wrote, values exact', () => {
    const saved = readTorchCheckpoint(bytes('dtypes.pt'), 'dtypes.pt') as Map<string, unknown>;
    for (const [name, want] of Object.entries(meta.dtypes)) {
      const t = saved.get(name) as TorchTensor;
      expect(t.shape, name).toEqual(want.shape);
      expect(Array.from(t.values), name).toEqual(want.values);
    }
    expect((saved.get('half') as TorchTensor).dtype).toBe('float16');
    expect((saved.get('long') as TorchTensor).values[0]).toBe(-(2 ** 40));
    const nested = saved.get('nested') as Map<string, unknown>;
    expect(nested.get('list')).toEqual([1, 2.5, 'x', null, true]);
    const tuple = nested.get('tuple') as [TorchTensor, Uint8Array];
    expect(Array.from(tuple[0].values)).toEqual([1, -1]);
    expect(Array.from(tuple[1])).toEqual([0, 255]);
  });

  it('a state_dict: every entry a tensor, in order', () => {
    const state = torchStateDict(readTorchCheckpoint(bytes('iresnet18-w1_32.pt')));
    const names = [...state.keys()];
    // A module's own parameters come before its children's: TopoFR's class centres first.
    expect(names.slice(0, 5)).toEqual(['weight', 'conv1.weight', 'bn1.weight', 'bn1.bias', 'bn1.running_mean']);
    expect(names).toContain('layer1.0.downsample.0.weight');
    expect(names[names.length - 1]).toBe('features.num_batches_tracked');
    expect(state.get('conv1.weight')!.shape).toEqual([2, 3, 3, 3]);
    expect(state.get('bn1.num_batches_tracked')!.dtype).toBe('int64');
    // nested non-tensor entries are not a state_dict
    expect(code(() => torchStateDict(readTorchCheckpoint(bytes('dtypes.pt')), 'dtypes.pt'))).toBe('TopofrRangeError:ERR_TOPOFR_INVALID_VALUE');
  });

  it('reads deflated entries too (an archive re-packed by a zip tool)', () => {
    const stored = readZip(bytes('dtypes.pt'));
    const packed = zipOf([...stored].map(([name, data]) => [name, data, true]));
    const a = readTorchCheckpoint(bytes('dtypes.pt')) as Map<string, TorchTensor>;
    const b = readTorchCheckpoint(packed) as Map<string, TorchTensor>;
    expect(Array.from(b.get('transposed')!.values)).toEqual(Array.from(a.get('transposed')!.values));
  });

  it('refuses what it cannot read, with typed errors', () => {
    const pt = bytes('dtypes.pt');
    expect(code(() => readTorchCheckpoint(Uint8Array.of(0x80, 2, 0x7d, 0x2e)))).toBe('TopofrError:ERR_TOPOFR_PARSE');  // legacy
    expect(code(() => readTorchCheckpoint(new TextEncoder().encode('hello')))).toBe('TopofrError:ERR_TOPOFR_PARSE');
    expect(code(() => readTorchCheckpoint(pt.subarray(0, pt.length - 30)))).toBe('TopofrError:ERR_TOPOFR_PARSE');  // truncated
    const noPickle = zipOf([...readZip(pt)].filter(([n]) => !n.endsWith('data.pkl')).map(([n, d]) => [n, d, false]));
    expect(code(() => readTorchCheckpoint(noPickle))).toBe('TopofrError:ERR_TOPOFR_PARSE');
    const noStorage = zipOf([...readZip(pt)].filter(([n]) => !n.endsWith('data/0')).map(([n, d]) => [n, d, false]));
    expect(code(() => readTorchCheckpoint(noStorage))).toBe('TopofrError:ERR_TOPOFR_PARSE');
  });

  it('the unpickler refuses globals it was not given and malformed streams', () => {
    const evil = new TextEncoder().encode('cos\nsystem\n(X\u0002\u0000\u0000\u0000lstR.');
    expect(() => unpickle(evil, { findClass: () => undefined })).toThrow(/refuses the Python global os\.system/);
    expect(code(() => unpickle(Uint8Array.of(0x80, 2, 0x74, 0x2e), { findClass: () => undefined }))).toBe('TopofrError:ERR_TOPOFR_PARSE');
    expect(code(() => unpickle(Uint8Array.of(0x80, 2, 0x4a, 1), { findClass: () => undefined }))).toBe('TopofrError:ERR_TOPOFR_PARSE');
    expect(code(() => unpickle(Uint8Array.of(0x80, 2, 0xff), { findClass: () => undefined }))).toBe('TopofrError:ERR_TOPOFR_PARSE');
    expect(unpickle(Uint8Array.of(0x80, 2, 0x5d, 0x4b, 7, 0x61, 0x2e), { findClass: () => undefined })).toEqual([7]);
  });
});

describe('IResNet from a PyTorch state_dict', () => {
  const imported = loadTorchIResNet(fileURLPath('iresnet18-w1_32.pt'));
  const { model } = imported;

  it('infers the architecture and keeps the class centres', () => {
    expect(imported.depth).toBe(meta.model.depth);
    expect(imported.widthMultiplier).toBe(meta.model.widthMultiplier);
    expect(imported.embeddingSize).toBe(meta.model.embeddingSize);
    expect(imported.inputSize).toBe(meta.model.inputSize);
    expect(imported.centres!.shape).toEqual([meta.model.classes, meta.model.embeddingSize]);
    // TopoFR trains the embedding BN's γ; arcface_torch's frozen γ is one option away.
    expect(model.getLayer('features').trainableWeights.length).toBe(2);
    const frozen = loadTorchIResNet(fileURLPath('iresnet18-w1_32.pt'), { freezeEmbeddingScale: true });
    expect(frozen.model.getLayer('features').trainableWeights.length).toBe(1);
    frozen.model.dispose();
  });

  it("reproduces PyTorch's eval-mode embeddings to ≤ 1e−4 relative", () => {
    const z = model.predict(nhwc('images')) as tf.Tensor;
    expect(relativeError(z.dataSync(), tensor('eval_embedding').values)).toBeLessThanOrEqual(1e-4);
  });

  it("reproduces PyTorch's training-mode output and batch statistics (running mean, unbiased running variance)", () => {
    const fresh = loadTorchIResNet(fileURLPath('iresnet18-w1_32.pt')).model;
    const z = fresh.apply(nhwc('images'), { training: true }) as tf.Tensor;
    expect(relativeError(z.dataSync(), tensor('train_embedding').values)).toBeLessThanOrEqual(1e-4);
    const after = iresnetStateDict(fresh);
    // float32 sums over m ≤ 2048 values per channel: a few·√m·2⁻²⁴ ≈ 3e−6 at most (measured ≈ 1e−7).
    // A biased batch variance (tfjs-layers' own update) would be off by 0.1·var/(m − 1) ≳ 5e−5 relative.
    let checked = 0;
    for (const [name, t] of cases) {
      if (!name.startsWith('after_forward.')) continue;
      const got = after.get(name.slice('after_forward.'.length))!;
      expect(relativeError(got.values, t.values), name).toBeLessThanOrEqual(4e-6);
      checked++;
    }
    expect(checked).toBe(2 * 31);  // stem, 3 per block × 8, 4 downsample, bn2, features: mean and variance each
    fresh.dispose();
  });

  it('maps back to the same PyTorch names, layouts and bits', () => {
    const original = torchStateDict(readTorchCheckpoint(bytes('iresnet18-w1_32.pt')));
    const back = iresnetStateDict(model, imported.centres);
    const expected = [...original.keys()].filter((k) => !k.endsWith('num_batches_tracked'));
    expect([...back.keys()].sort()).toEqual(expected.sort());
    for (const name of expected) {
      expect(back.get(name)!.shape, name).toEqual(original.get(name)!.shape);
      expect(Buffer.from(back.get(name)!.values.buffer).equals(Buffer.from((original.get(name)!.values as Float32Array).buffer)), name).toBe(true);
    }
  });

  it('refuses state_dicts that are not this IResNet, naming the entry', () => {
    const state = torchStateDict(readTorchCheckpoint(bytes('iresnet18-w1_32.pt')));
    const without = new Map(state);
    without.delete('layer3.1.bn2.running_var');
    expect(() => iresnetFromStateDict(without)).toThrow(/missing 'layer3\.1\.bn2\.running_var'/);
    const extra = new Map(state).set('head.bias', state.get('fc.bias')!);
    expect(() => iresnetFromStateDict(extra)).toThrow(/no place in an IResNet: head\.bias/);
    const bent = new Map(state).set('layer2.0.conv1.weight', { ...state.get('layer2.0.conv1.weight')!, shape: [4, 2, 1, 9] });
    expect(() => iresnetFromStateDict(bent)).toThrow(/layer2\.0\.conv1\.weight' has shape \[4, 2, 1, 9\]/);
    expect(() => iresnetFromStateDict(state, { inputSize: 64 })).toThrow(/feature map/);
    const short = new Map([...state].filter(([k]) => !k.startsWith('layer4.1.')));
    expect(() => iresnetFromStateDict(short)).toThrow(/blocks per stage \[2, 2, 2, 1\]/);
    expect(code(() => loadTorchIResNet('/nonexistent/model.pt'))).toBe('TopofrRangeError:ERR_TOPOFR_INVALID_VALUE');
  });
});

function fileURLPath(name: string): string {
  return fixture(name).pathname;
}

/** A ZIP archive of the given entries (deflated or stored), written by the spec: the oracle for the reader. */
function zipOf(entries: Array<[string, Uint8Array, boolean]>): Uint8Array {
  const parts: Buffer[] = [], central: Buffer[] = [];
  let offset = 0;
  for (const [name, data, deflate] of entries) {
    const body = deflate ? deflateRawSync(data) : Buffer.from(data);
    const nameBytes = Buffer.from(name);
    // The central entry repeats the local header's fields 2 bytes further on (after "version made by").
    const header = (size: number, signature: number, shift: number) => {
      const b = Buffer.alloc(size);
      b.writeUInt32LE(signature, 0);
      b.writeUInt16LE(deflate ? 8 : 0, 8 + shift);
      b.writeUInt32LE(body.length, 18 + shift);
      b.writeUInt32LE(data.length, 22 + shift);
      b.writeUInt16LE(nameBytes.length, 26 + shift);
      return b;
    };
    const local = header(30, 0x04034b50, 0);
    const dir = header(46, 0x02014b50, 2);
    dir.writeUInt32LE(offset, 42);
    parts.push(local, nameBytes, body);
    central.push(dir, nameBytes);
    offset += 30 + nameBytes.length + body.length;
  }
  const dirBytes = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(dirBytes.length, 12);
  end.writeUInt32LE(offset, 16);
  return new Uint8Array(Buffer.concat([...parts, dirBytes, end]));
}
