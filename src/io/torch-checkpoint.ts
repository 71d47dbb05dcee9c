// Reading PyTorch checkpoints (`torch.save`, PyTorch ≥ 1.6's default zip format) without Python:
// the archive holds `<prefix>/data.pkl`, a pickle (protocol 2) of the saved object in which every
// tensor is `torch._utils._rebuild_tensor_v2(storage, offset, size, stride, …)` and every storage a
// persistent id ('storage', torch.<Type>Storage, key, location, numel) whose bytes are the entry
// `<prefix>/data/<key>` (little-endian, uncompressed, 64-byte aligned). This reads the object with
// a safe unpickler (src/io/pickle.ts: only the globals below), copies each tensor out of its
// storage in row-major order (any strides), and returns plain values: Maps for dicts (OrderedDict
// included), arrays for lists and tuples, TorchTensor for tensors and parameters.
//
// Refused with a clear error: the legacy pre-1.6 format (a bare pickle stream), big-endian
// archives, storage types other than the float and integer ones below, anything that would run code.
import { TopofrError, TopofrRangeError } from '../errors.js';
import { unpickle, type Callable } from './pickle.js';
import { isZip, readZip } from './zip.js';

export type TorchDtype = 'float32' | 'float64' | 'float16' | 'bfloat16' | 'int64' | 'int32' | 'int16' | 'int8' | 'uint8' | 'bool';

/** A tensor read from a checkpoint: row-major values (floats as float32/float64, integers as
 *  float64, exact below 2^53), its shape and the dtype it was saved in. */
export interface TorchTensor {
  dtype: TorchDtype;
  shape: number[];
  values: Float32Array | Float64Array;
}

const STORAGES: Record<string, { dtype: TorchDtype; bytes: number }> = {
  FloatStorage: { dtype: 'float32', bytes: 4 },
  DoubleStorage: { dtype: 'float64', bytes: 8 },
  HalfStorage: { dtype: 'float16', bytes: 2 },
  BFloat16Storage: { dtype: 'bfloat16', bytes: 2 },
  LongStorage: { dtype: 'int64', bytes: 8 },
  IntStorage: { dtype: 'int32', bytes: 4 },
  ShortStorage: { dtype: 'int16', bytes: 2 },
  CharStorage: { dtype: 'int8', bytes: 1 },
  ByteStorage: { dtype: 'uint8', bytes: 1 },
  BoolStorage: { dtype: 'bool', bytes: 1 },
};

interface StorageRef {
  dtype: TorchDtype;
  itemBytes: number;
  key: string;
  numel: number;
}

/** A binary16 bit pattern's value (exact). */
function halfValue(bits: number): number {
  const exponent = (bits >> 10) & 0x1f, mantissa = bits & 0x3ff;
  const sign = bits & 0x8000 ? -1 : 1;
  if (exponent === 0x1f) return mantissa === 0 ? sign * Infinity : NaN;
  return exponent === 0 ? sign * mantissa * 2 ** -24 : sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

/** Element i of a storage's bytes as a number. */
function elementReader(ref: StorageRef, view: DataView): (i: number) => number {
  switch (ref.dtype) {
    case 'float32': return (i) => view.getFloat32(4 * i, true);
    case 'float64': return (i) => view.getFloat64(8 * i, true);
    case 'float16': return (i) => halfValue(view.getUint16(2 * i, true));
    case 'bfloat16': return (i) => new Float32Array(Uint32Array.of(view.getUint16(2 * i, true) << 16).buffer)[0]!;
    case 'int64': return (i) => Number(view.getBigInt64(8 * i, true));
    case 'int32': return (i) => view.getInt32(4 * i, true);
    case 'int16': return (i) => view.getInt16(2 * i, true);
    case 'int8': return (i) => view.getInt8(i);
    case 'uint8': case 'bool': return (i) => view.getUint8(i);
  }
}

/** Reads a torch.save file's bytes; `source` names it in errors. */
export function readTorchCheckpoint(bytes: Uint8Array, source = 'checkpoint'): unknown {
  if (!isZip(bytes)) {
    throw new TopofrError('ERR_TOPOFR_PARSE', bytes[0] === 0x80
      ? `${source}: the legacy (pre-1.6) torch.save format is not supported; re-save it with torch.save(obj, path) in PyTorch ≥ 1.6`
      : `${source}: not a torch.save zip archive`);
  }
  const entries = readZip(bytes, source);
  const pkl = [...entries.keys()].find((name) => /^[^/]+\/data\.pkl$/.test(name));
  if (pkl === undefined) throw new TopofrError('ERR_TOPOFR_PARSE', `${source}: no <name>/data.pkl in the archive (not a torch.save file)`);
  const prefix = pkl.slice(0, -'data.pkl'.length);
  const byteorder = entries.get(`${prefix}byteorder`);
  if (byteorder !== undefined && new TextDecoder().decode(byteorder).trim() !== 'little')
    throw new TopofrError('ERR_TOPOFR_UNSUPPORTED', `${source}: big-endian checkpoints are not supported`);

  const tensorOf = (storage: unknown, offset: unknown, size: unknown, stride: unknown): TorchTensor => {
    const ref = storage as StorageRef;
    if (!ref || typeof ref.key !== 'string') throw new TopofrError('ERR_TOPOFR_PARSE', `${source}: a tensor without a storage`);
    const shape = size as number[], strides = stride as number[];
    if (!Array.isArray(shape) || !Array.isArray(strides) || shape.length !== strides.length || typeof offset !== 'number')
      throw new TopofrError('ERR_TOPOFR_PARSE', `${source}: a tensor with a malformed size/stride`);
    const data = entries.get(`${prefix}data/${ref.key}`);
    if (data === undefined) throw new TopofrError('ERR_TOPOFR_PARSE', `${source}: storage ${ref.key} is missing from the archive`);
    if (data.length < ref.numel * ref.itemBytes)
      throw new TopofrError('ERR_TOPOFR_PARSE', `${source}: storage ${ref.key} has ${data.length} bytes, needs ${ref.numel * ref.itemBytes}`);
    const count = shape.reduce((a, b) => a * b, 1);
    let last = offset;
    for (let d = 0; d < shape.length; d++) if (shape[d]! > 0) last += (shape[d]! - 1) * strides[d]!;
    if (count > 0 && (offset < 0 || last >= ref.numel))
      throw new TopofrError('ERR_TOPOFR_PARSE', `${source}: a tensor [${shape.join(', ')}] reaches past its storage ${ref.key} (${ref.numel} elements)`);
    const element = elementReader(ref, new DataView(data.buffer, data.byteOffset, data.byteLength));
    const values = ref.dtype === 'float32' || ref.dtype === 'float16' || ref.dtype === 'bfloat16' ? new Float32Array(count) : new Float64Array(count);
    const index = new Array<number>(shape.length).fill(0);
    for (let i = 0; i < count; i++) {
      let at = offset;
      for (let d = 0; d < shape.length; d++) at += index[d]! * strides[d]!;
      values[i] = element(at);
      for (let d = shape.length - 1; d >= 0; d--) {
        if (++index[d]! < shape[d]!) break;
        index[d] = 0;
      }
    }
    return { dtype: ref.dtype, shape: [...shape], values };
  };

  const globals: Record<string, Callable> = {
    'collections.OrderedDict': () => new Map(),
    'torch._utils._rebuild_tensor_v2': (storage, offset, size, stride) => tensorOf(storage, offset, size, stride),
    'torch._utils._rebuild_tensor': (storage, offset, size, stride) => tensorOf(storage, offset, size, stride),
    'torch._utils._rebuild_parameter': (data) => data,
    'torch._utils._rebuild_parameter_with_state': (data) => data,
    // Protocol 2 writes a bytes object as _codecs.encode(its latin-1 text, 'latin1').
    '_codecs.encode': (text, encoding) => {
      if (typeof text !== 'string' || !/^latin-?1$/i.test(String(encoding)))
        throw new TopofrError('ERR_TOPOFR_PARSE', `${source}: _codecs.encode with encoding ${String(encoding)}`);
      return Uint8Array.from(text, (c) => c.charCodeAt(0));
    },
  };
  // Storage types only appear inside persistent ids; as functions they would be misuse.
  for (const name of Object.keys(STORAGES)) {
    globals[`torch.${name}`] = Object.assign(() => {
      throw new TopofrError('ERR_TOPOFR_PARSE', `${source}: a storage type used as a function`);
    }, { storageType: name });
  }
  return unpickle(entries.get(pkl)!, {
    findClass: (module, name) => globals[`${module}.${name}`],
    persistentLoad: (pid) => {
      if (!Array.isArray(pid) || pid[0] !== 'storage' || pid.length < 5)
        throw new TopofrError('ERR_TOPOFR_PARSE', `${source}: unknown persistent id ${JSON.stringify(pid)}`);
      const info = STORAGES[(pid[1] as { storageType?: string }).storageType ?? ''];
      if (info === undefined) throw new TopofrError('ERR_TOPOFR_UNSUPPORTED', `${source}: a storage type that is not supported`);
      return { dtype: info.dtype, itemBytes: info.bytes, key: String(pid[2]), numel: Number(pid[4]) } satisfies StorageRef;
    },
  }, `${source} (data.pkl)`);
}

/** Whether a value read from a checkpoint is a tensor. */
export function isTorchTensor(value: unknown): value is TorchTensor {
  return typeof value === 'object' && value !== null && 'dtype' in value && 'shape' in value && 'values' in value;
}

/**
 * The tensors of a state_dict (a saved `module.state_dict()`, or a checkpoint dict holding one
 * under `key`), by name. Non-tensor entries are refused; a DDP `module.` prefix on every name is
 * removed.
 */
export function torchStateDict(saved: unknown, source = 'checkpoint', key?: string): Map<string, TorchTensor> {
  let dict = saved;
  if (key !== undefined) {
    if (!(saved instanceof Map) || !saved.has(key)) throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', `${source}: no entry '${key}' in the checkpoint`);
    dict = saved.get(key);
  }
  if (!(dict instanceof Map)) throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', `${source}: the saved object is not a state_dict (a dict of tensors)${key === undefined ? '; pass the key of the state_dict inside it' : ''}`);
  const out = new Map<string, TorchTensor>();
  for (const [name, value] of dict as Map<unknown, unknown>) {
    if (typeof name !== 'string' || !isTorchTensor(value))
      throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', `${source}: entry ${JSON.stringify(name)} is not a tensor; a state_dict maps names to tensors${key === undefined ? ' (for a checkpoint dict, pass the key of its state_dict)' : ''}`);
    out.set(name, value);
  }
  if (out.size > 0 && [...out.keys()].every((n) => n.startsWith('module.'))) {
    return new Map([...out].map(([n, t]) => [n.slice('module.'.length), t]));
  }
  return out;
}

/** A tensor's values as float32 (float16/bfloat16 are exact in float32; float64 is rounded). */
export function float32Values(t: TorchTensor): Float32Array {
  return t.values instanceof Float32Array ? t.values : Float32Array.from(t.values);
}
