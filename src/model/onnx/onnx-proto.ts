// The messages of onnx.proto (ONNX IR) that a convolutional backbone needs: ModelProto, GraphProto,
// NodeProto, AttributeProto, TensorProto, ValueInfoProto (with TypeProto.Tensor and
// TensorShapeProto), OperatorSetIdProto. Field numbers are onnx.proto's; fields outside this subset
// are skipped when decoding. Tensors are encoded with raw_data (what PyTorch's exporter writes) and
// decoded from raw_data or float_data/int64_data.
import { TopofrError } from '../../errors.js';
import { int64, ProtoWriter, readFields, repeatedFloat, repeatedInt64, text, WireType, type ProtoField } from './protobuf.js';

/** TensorProto.DataType values used here. */
export const ONNX_FLOAT = 1;
export const ONNX_INT64 = 7;

/** AttributeProto.AttributeType values. */
const ATTR = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, FLOATS: 6, INTS: 7 } as const;

export interface OnnxTensor {
  name: string;
  dims: number[];
  dataType: number;
  /** Little-endian element bytes (raw_data, or float_data / int64_data re-encoded). */
  raw: Uint8Array;
}

export interface OnnxAttribute {
  name: string;
  f?: number;
  i?: number;
  s?: string;
  t?: OnnxTensor;
  floats?: number[];
  ints?: number[];
}

export interface OnnxNode {
  opType: string;
  name: string;
  inputs: string[];
  outputs: string[];
  attributes: OnnxAttribute[];
  domain?: string;
}

export interface OnnxValueInfo {
  name: string;
  /** TensorProto.DataType of the elements. */
  elemType: number;
  /** Each dimension: a size, or the name of a symbolic (dynamic) dimension. */
  shape: (number | string)[];
}

export interface OnnxGraph {
  name: string;
  nodes: OnnxNode[];
  initializers: OnnxTensor[];
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
}

export interface OnnxModel {
  irVersion: number;
  opsetImports: { domain: string; version: number }[];
  producerName: string;
  producerVersion: string;
  graph: OnnxGraph;
}

// --- encoding -----------------------------------------------------------------------------------

function writeTensor(w: ProtoWriter, t: OnnxTensor): void {
  for (const d of t.dims) w.int(1, d);
  w.int(2, t.dataType);
  w.string(8, t.name);
  w.bytes(9, t.raw);
}

function writeAttribute(w: ProtoWriter, a: OnnxAttribute): void {
  w.string(1, a.name);
  if (a.f !== undefined) w.float(2, a.f).int(20, ATTR.FLOAT);
  else if (a.i !== undefined) w.int(3, a.i).int(20, ATTR.INT);
  else if (a.s !== undefined) w.string(4, a.s).int(20, ATTR.STRING);
  else if (a.t !== undefined) w.message(5, (m) => writeTensor(m, a.t!)).int(20, ATTR.TENSOR);
  else if (a.floats !== undefined) {
    for (const v of a.floats) w.float(7, v);
    w.int(20, ATTR.FLOATS);
  } else if (a.ints !== undefined) {
    for (const v of a.ints) w.int(8, v);
    w.int(20, ATTR.INTS);
  }
}

function writeValueInfo(w: ProtoWriter, v: OnnxValueInfo): void {
  w.string(1, v.name);
  w.message(2, (type) =>
    type.message(1, (tensor) => {
      tensor.int(1, v.elemType);
      tensor.message(2, (shape) => {
        for (const d of v.shape) shape.message(1, (dim) => (typeof d === 'number' ? dim.int(1, d) : dim.string(2, d)));
      });
    }));
}

export function encodeOnnxModel(model: OnnxModel): Uint8Array {
  const w = new ProtoWriter();
  w.int(1, model.irVersion);
  w.string(2, model.producerName);
  w.string(3, model.producerVersion);
  w.message(7, (g) => {
    for (const n of model.graph.nodes)
      g.message(1, (m) => {
        for (const i of n.inputs) m.string(1, i);
        for (const o of n.outputs) m.string(2, o);
        m.string(3, n.name);
        m.string(4, n.opType);
        for (const a of n.attributes) m.message(5, (am) => writeAttribute(am, a));
        if (n.domain) m.string(7, n.domain);
      });
    g.string(2, model.graph.name);
    for (const t of model.graph.initializers) g.message(5, (m) => writeTensor(m, t));
    for (const v of model.graph.inputs) g.message(11, (m) => writeValueInfo(m, v));
    for (const v of model.graph.outputs) g.message(12, (m) => writeValueInfo(m, v));
  });
  for (const o of model.opsetImports) w.message(8, (m) => m.string(1, o.domain).int(2, o.version));
  return w.finish();
}

// --- decoding -----------------------------------------------------------------------------------

const all = (fields: ProtoField[], n: number) => fields.filter((f) => f.field === n);
const one = (fields: ProtoField[], n: number) => {
  let last: ProtoField | undefined;
  for (const f of fields) if (f.field === n) last = f; // protobuf: the last occurrence wins
  return last;
};
const num = (f: ProtoField | undefined) => (f?.type === WireType.Varint ? int64(f) : 0);

function readTensor(data: Uint8Array, where: string): OnnxTensor {
  const f = readFields(data, where);
  const name = text(one(f, 8));
  const dims = repeatedInt64(f, 1, where);
  const dataType = num(one(f, 2));
  const count = dims.reduce((p, d) => p * d, 1);
  const rawField = one(f, 9);
  let raw: Uint8Array;
  if (rawField?.bytes) raw = rawField.bytes;
  else if (dataType === ONNX_FLOAT) raw = new Uint8Array(Float32Array.from(repeatedFloat(f, 4)).buffer);
  else if (dataType === ONNX_INT64) raw = new Uint8Array(BigInt64Array.from(repeatedInt64(f, 7, where), BigInt).buffer);
  else raw = new Uint8Array(0);
  if (one(f, 14) !== undefined && num(one(f, 14)) === 1)
    throw new TopofrError('ERR_TOPOFR_UNSUPPORTED', `${where}: tensor ${name} keeps its data in an external file; save the model with its weights inside`);
  const size = dataType === ONNX_FLOAT ? 4 : dataType === ONNX_INT64 ? 8 : 0;
  if (size && raw.length !== count * size)
    throw new TopofrError('ERR_TOPOFR_PARSE', `${where}: tensor ${name} of shape [${dims.join(', ')}] holds ${raw.length} bytes, expected ${count * size}`);
  return { name, dims, dataType, raw };
}

function readAttribute(data: Uint8Array, where: string): OnnxAttribute {
  const f = readFields(data, where);
  const a: OnnxAttribute = { name: text(one(f, 1)) };
  const type = num(one(f, 20));
  const fField = one(f, 2);
  if (type === ATTR.FLOAT && fField?.bytes) a.f = new DataView(fField.bytes.buffer, fField.bytes.byteOffset, 4).getFloat32(0, true);
  else if (type === ATTR.INT) a.i = num(one(f, 3));
  else if (type === ATTR.STRING) a.s = text(one(f, 4));
  else if (type === ATTR.TENSOR && one(f, 5)?.bytes) a.t = readTensor(one(f, 5)!.bytes!, `${where}.t`);
  else if (type === ATTR.FLOATS) a.floats = repeatedFloat(f, 7);
  else if (type === ATTR.INTS) a.ints = repeatedInt64(f, 8, where);
  return a;
}

function readValueInfo(data: Uint8Array, where: string): OnnxValueInfo {
  const f = readFields(data, where);
  const info: OnnxValueInfo = { name: text(one(f, 1)), elemType: 0, shape: [] };
  const type = one(f, 2)?.bytes;
  const tensor = type ? one(readFields(type, `${where}.type`), 1)?.bytes : undefined;
  if (tensor) {
    const t = readFields(tensor, `${where}.tensor_type`);
    info.elemType = num(one(t, 1));
    const shape = one(t, 2)?.bytes;
    if (shape)
      for (const d of all(readFields(shape, `${where}.shape`), 1)) {
        const dim = readFields(d.bytes!, `${where}.dim`);
        const value = one(dim, 1);
        info.shape.push(value ? num(value) : text(one(dim, 2)));
      }
  }
  return info;
}

/** Decodes an ONNX file's bytes; `source` names it in errors. Tensor bytes are views of `bytes`. */
export function decodeOnnxModel(bytes: Uint8Array, source: string): OnnxModel {
  const f = readFields(bytes, `${source}: ModelProto`);
  const graphBytes = one(f, 7)?.bytes;
  if (!graphBytes) throw new TopofrError('ERR_TOPOFR_PARSE', `${source}: no graph (not an ONNX model file?)`);
  const g = readFields(graphBytes, `${source}: GraphProto`);
  const nodes = all(g, 1).map((nf, k): OnnxNode => {
    const where = `${source}: node ${k}`;
    const n = readFields(nf.bytes!, where);
    const domain = text(one(n, 7));
    return {
      inputs: all(n, 1).map(text),
      outputs: all(n, 2).map(text),
      name: text(one(n, 3)),
      opType: text(one(n, 4)),
      attributes: all(n, 5).map((a) => readAttribute(a.bytes!, `${where} attribute`)),
      ...(domain ? { domain } : {}),
    };
  });
  return {
    irVersion: num(one(f, 1)),
    producerName: text(one(f, 2)),
    producerVersion: text(one(f, 3)),
    opsetImports: all(f, 8).map((o) => {
      const m = readFields(o.bytes!, `${source}: opset_import`);
      return { domain: text(one(m, 1)), version: num(one(m, 2)) };
    }),
    graph: {
      name: text(one(g, 2)),
      nodes,
      initializers: all(g, 5).map((t, k) => readTensor(t.bytes!, `${source}: initializer ${k}`)),
      inputs: all(g, 11).map((v, k) => readValueInfo(v.bytes!, `${source}: input ${k}`)),
      outputs: all(g, 12).map((v, k) => readValueInfo(v.bytes!, `${source}: output ${k}`)),
    },
  };
}

/** A FLOAT tensor's values (a view when the bytes are 4-aligned, a copy otherwise). */
export function tensorFloats(t: OnnxTensor): Float32Array {
  if (t.dataType !== ONNX_FLOAT) throw new TopofrError('ERR_TOPOFR_UNSUPPORTED', `tensor ${t.name} has ONNX data type ${t.dataType}, expected FLOAT (1)`);
  const n = t.raw.length / 4;
  // new Uint8Array(view) copies (a Node Buffer's slice() would not).
  return t.raw.byteOffset % 4 === 0 ? new Float32Array(t.raw.buffer, t.raw.byteOffset, n) : new Float32Array(new Uint8Array(t.raw).buffer, 0, n);
}

/** A FLOAT tensor from values. */
export function floatTensor(name: string, dims: number[], values: Float32Array): OnnxTensor {
  return { name, dims, dataType: ONNX_FLOAT, raw: new Uint8Array(values.buffer, values.byteOffset, values.byteLength) };
}
