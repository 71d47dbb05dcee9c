// The protobuf wire format, as much of it as onnx.proto needs: varints (int32/int64/enums), 32-bit
// floats, and length-delimited fields (strings, bytes, nested messages, packed repeated scalars).
// Hand-written rather than protobufjs/onnx-proto: ONNX needs eight small messages, the codec is
// ~150 lines with no runtime dependency, and decoding keeps large tensors (raw_data) as views of
// the file instead of copies. Field numbers live with the messages (onnx-proto.ts).
import { TopofrError } from '../../errors.js';

export const enum WireType {
  Varint = 0,
  Fixed64 = 1,
  LengthDelimited = 2,
  Fixed32 = 5,
}

/** Appends fields to a growing buffer; nested messages are encoded first and added as bytes. */
export class ProtoWriter {
  private buffer = new Uint8Array(256);
  private length = 0;

  private reserve(n: number): void {
    if (this.length + n <= this.buffer.length) return;
    let size = this.buffer.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buffer.subarray(0, this.length));
    this.buffer = next;
  }

  private varint(value: number | bigint): void {
    // Negative int32/int64 values are 10-byte two's complement varints.
    let v = BigInt.asUintN(64, BigInt(value));
    this.reserve(10);
    while (v >= 0x80n) {
      this.buffer[this.length++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.buffer[this.length++] = Number(v);
  }

  private tag(field: number, type: WireType): void {
    this.varint((field << 3) | type);
  }

  int(field: number, value: number | bigint): this {
    this.tag(field, WireType.Varint);
    this.varint(value);
    return this;
  }

  float(field: number, value: number): this {
    this.tag(field, WireType.Fixed32);
    this.reserve(4);
    new DataView(this.buffer.buffer).setFloat32(this.length, value, true);
    this.length += 4;
    return this;
  }

  bytes(field: number, value: Uint8Array): this {
    this.tag(field, WireType.LengthDelimited);
    this.varint(value.length);
    this.reserve(value.length);
    this.buffer.set(value, this.length);
    this.length += value.length;
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value));
  }

  message(field: number, encode: (w: ProtoWriter) => void): this {
    const inner = new ProtoWriter();
    encode(inner);
    return this.bytes(field, inner.finish());
  }

  finish(): Uint8Array {
    return this.buffer.slice(0, this.length);
  }
}

/** One decoded field: varints as bigint (int64 range), fixed32 as its 4 bytes, length-delimited as
 *  a view of the input. */
export interface ProtoField {
  field: number;
  type: WireType;
  varint?: bigint;
  bytes?: Uint8Array;
}

/** The fields of one message, in order. `where` names the message in errors (e.g. "model.onnx:
 *  GraphProto"). Unknown wire types and truncation are typed errors, never crashes. */
export function readFields(data: Uint8Array, where: string): ProtoField[] {
  const fields: ProtoField[] = [];
  let pos = 0;
  const fail = (message: string): never => {
    throw new TopofrError('ERR_TOPOFR_PARSE', `${where}: byte ${pos}: ${message}`);
  };
  const varint = (): bigint => {
    let result = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (pos >= data.length) fail('truncated varint');
      const b = data[pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return BigInt.asUintN(64, result);
    }
    return fail('varint longer than 10 bytes');
  };
  const take = (n: number): Uint8Array => {
    if (n > data.length - pos) fail(`a field of ${n} bytes runs past the end of the message (${data.length} bytes)`);
    const out = data.subarray(pos, pos + n);
    pos += n;
    return out;
  };
  while (pos < data.length) {
    const key = varint();
    const field = Number(key >> 3n);
    const type = Number(key & 7n) as WireType;
    if (field === 0) fail('field number 0');
    switch (type) {
      case WireType.Varint: fields.push({ field, type, varint: varint() }); break;
      case WireType.Fixed64: fields.push({ field, type, bytes: take(8) }); break;
      case WireType.Fixed32: fields.push({ field, type, bytes: take(4) }); break;
      case WireType.LengthDelimited: {
        const n = varint();
        if (n > BigInt(data.length)) fail(`a field of ${n} bytes runs past the end of the message (${data.length} bytes)`);
        fields.push({ field, type, bytes: take(Number(n)) });
        break;
      }
      default: fail(`wire type ${type} (groups or corruption) is not supported`);
    }
  }
  return fields;
}

/** A varint field as a signed 64-bit number (exact up to 2^53). */
export function int64(f: ProtoField): number {
  return Number(BigInt.asIntN(64, f.varint ?? 0n));
}

/** Repeated int64 values of a field: packed (length-delimited) or one per field. */
export function repeatedInt64(fields: ProtoField[], field: number, where: string): number[] {
  const out: number[] = [];
  for (const f of fields) {
    if (f.field !== field) continue;
    if (f.type === WireType.Varint) out.push(int64(f));
    else if (f.type === WireType.LengthDelimited) for (const inner of readPackedVarints(f.bytes!, where)) out.push(inner);
  }
  return out;
}

function readPackedVarints(data: Uint8Array, where: string): number[] {
  const out: number[] = [];
  let pos = 0;
  while (pos < data.length) {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (pos >= data.length) throw new TopofrError('ERR_TOPOFR_PARSE', `${where}: truncated packed varint`);
      const b = data[pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      shift += 7n;
      if (b < 0x80) break;
      if (shift > 63n) throw new TopofrError('ERR_TOPOFR_PARSE', `${where}: packed varint longer than 10 bytes`);
    }
    out.push(Number(BigInt.asIntN(64, result)));
  }
  return out;
}

/** Repeated float values of a field: packed or one fixed32 per field. */
export function repeatedFloat(fields: ProtoField[], field: number): number[] {
  const out: number[] = [];
  for (const f of fields) {
    if (f.field !== field || !f.bytes) continue;
    const view = new DataView(f.bytes.buffer, f.bytes.byteOffset, f.bytes.byteLength);
    for (let i = 0; i + 4 <= f.bytes.length; i += 4) out.push(view.getFloat32(i, true));
  }
  return out;
}

const utf8 = new TextDecoder();

export function text(f: ProtoField | undefined): string {
  return f?.bytes ? utf8.decode(f.bytes) : '';
}
