// Checks shared by every public function: values a caller passes are untrusted, so the checks
// themselves must not throw anything but a typed error — not while reading an option of null, not
// while printing a Symbol, a detached array or a Proxy into a message.
import { types } from 'node:util';
import { TopofrTypeError } from '../errors.js';
import { printable } from './printable.js';

// node:util's checks look at the object itself: a Proxy around a Float32Array, or an object whose
// prototype is Float32Array.prototype, passes `instanceof` but has no typed-array storage (its
// length getter throws, native code cannot read it). Arrays from another realm pass.
// A detached array (its buffer transferred away) reads as empty but throws on iteration: refused too.
export const isFloat32Array = (value: unknown): value is Float32Array => types.isFloat32Array(value) && !isDetached(value);
export const isFloat64Array = (value: unknown): value is Float64Array => types.isFloat64Array(value) && !isDetached(value);
export const isInt32Array = (value: unknown): value is Int32Array => types.isInt32Array(value) && !isDetached(value);

/** Whether a typed array's buffer was transferred away (only an empty view can be). */
function isDetached(view: ArrayBufferView): boolean {
  if (view.byteLength > 0) return false;
  try {
    view.buffer.slice(0, 0);
    return false;
  } catch {
    return true;
  }
}
export const isFloatArray = (value: unknown): value is Float32Array | Float64Array => isFloat32Array(value) || isFloat64Array(value);

/** A value, shown in a message: short, printable, and never a throw (Symbols, BigInts, detached
 *  arrays, Proxies and prototype-less objects have no safe String()). */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined || typeof value === 'boolean') return String(value);
  if (typeof value === 'number') return String(value);
  if (typeof value === 'bigint') return `${value}n (a BigInt)`;
  if (typeof value === 'symbol') return 'a Symbol';
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'string') return `'${printable(value.length > 60 ? `${value.slice(0, 57)}...` : value)}'`;
  if (types.isProxy(value)) return 'a Proxy';
  if (types.isTypedArray(value)) {
    const type = Object.prototype.toString.call(value).slice(8, -1);
    return isDetached(value) ? `a detached ${type}` : `${type}(${value.byteLength / (value as Float32Array).BYTES_PER_ELEMENT})`;
  }
  if (Array.isArray(value)) return `an Array of ${value.length}`;
  return 'an object';
}

/** The options argument of `fn`: undefined → {}; an object as it is; anything else is refused. */
export function optionsArg<T extends object>(options: unknown, fn: string): Partial<T> {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null)
    throw new TopofrTypeError('ERR_TOPOFR_INVALID_TYPE', `${fn}: options must be an object (or left out), got ${describeValue(options)}`);
  return options as Partial<T>;
}
