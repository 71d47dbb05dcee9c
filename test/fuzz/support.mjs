// What every fuzz target shares: seeded randomness, the typed-error test, hostile values, and a
// float64 reference for distances.
import { types } from 'node:util';
import { TopofrError, TopofrRangeError, TopofrTypeError } from '../../dist/errors.js';
import { gaussian, mixSeed, mulberry32 } from '../../dist/util/random.js';

/** A wrong answer, or an error that is not a typed refusal. */
export class FuzzFailure extends Error {}

export const fail = (message) => {
  throw new FuzzFailure(message);
};

/** The random source of case k of a seed. */
export function rngFor(seed, k) {
  const uniform = mulberry32(mixSeed(0xf022, seed, k));
  const normal = gaussian(uniform);
  return {
    uniform,
    normal,
    /** An integer in [lo, hi]. */
    int: (lo, hi) => lo + Math.floor(uniform() * (hi - lo + 1)),
    pick: (list) => list[Math.floor(uniform() * list.length)],
    chance: (p) => uniform() < p,
  };
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;

/**
 * A refusal as the README promises: one of topofr's error classes, an ERR_TOPOFR_* code, a one-line
 * message without control characters. `extra` lists other classes a target may accept (commander's
 * InvalidArgumentError for the flag parsers).
 */
export function isTyped(err, extra = []) {
  if (extra.some((type) => err instanceof type)) return true;
  const typed = err instanceof TopofrError || err instanceof TopofrTypeError || err instanceof TopofrRangeError;
  if (!typed) return false;
  if (typeof err.code !== 'string' || !err.code.startsWith('ERR_TOPOFR_')) fail(`typed error without a code: ${err.message}`);
  if (CONTROL.test(err.message)) fail(`error message with a control character: ${JSON.stringify(err.message).slice(0, 200)}`);
  return true;
}

export const hasControl = (text) => CONTROL.test(text);

/** A Float32Array that is detached (its buffer transferred away). */
export function detachedFloat32(length) {
  const a = new Float32Array(length);
  structuredClone(a.buffer, { transfer: [a.buffer] });
  return a;
}

/** Values no caller should pass, and look-alikes of the right ones. */
export function hostileValue(rng) {
  const pool = [
    () => null,
    () => undefined,
    () => NaN,
    () => Infinity,
    () => -Infinity,
    () => -1,
    () => 0,
    () => -0,
    () => 0.5,
    () => 2 ** 31,
    () => 2 ** 53 + 2,
    () => 1e308,
    () => '',
    () => 'abc',
    () => '\u001b[31mred\u001b[0m',
    () => '3',
    () => true,
    () => [],
    () => [1, 2, 3],
    () => ({}),
    () => ({ length: 4 }),
    () => Symbol('s'),
    () => 10n,
    () => () => 1,
    () => new Float64Array(4),
    () => new Int32Array(4),
    () => new Uint8Array(4),
    () => new Float32Array([NaN, 1, 2, 3]),
    () => new Float32Array([Infinity, 1, 2, 3]),
    () => new Proxy(new Float32Array(4), {}),
    () => Object.create(Float32Array.prototype),
    () => detachedFloat32(4),
    () => new Float32Array(new SharedArrayBuffer(16)),
    () => Object.freeze({ data: new Float32Array(4), n: 2, dim: 2 }),
    () => new Date(0),
    () => /x/,
    () => new Map(),
    () => Object.create(null),
  ];
  return rng.pick(pool)();
}

/** A short description of a value for a case's label. */
export function show(value) {
  if (typeof value === 'symbol') return value.toString();
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'function') return 'a function';
  if (types.isProxy(value)) return 'a Proxy';
  if (ArrayBuffer.isView(value)) return `${value.constructor?.name ?? 'view'}(${value.byteLength / (value.BYTES_PER_ELEMENT ?? 1)})`;
  try {
    const text = JSON.stringify(value);
    return text === undefined ? String(value) : text.length > 60 ? `${text.slice(0, 57)}...` : text;
  } catch {
    return typeof value;
  }
}

/** Point coordinates of a kind that matters: Gaussian, integer grid (ties), duplicates, a tiny cluster. */
export function pointData(rng, n, dim, kind) {
  const data = new Float32Array(n * dim);
  for (let i = 0; i < n; i++)
    for (let k = 0; k < dim; k++) {
      const v = kind === 'grid' ? rng.int(-2, 2) : kind === 'cluster' ? 1000 + rng.normal() * 1e-3 : rng.normal();
      data[i * dim + k] = v;
    }
  if (kind === 'duplicates' && n > 1)
    for (let i = 0; i < n; i += 2) data.copyWithin(i * dim, rng.int(0, n - 1) * dim, rng.int(0, n - 1) * dim + dim);
  return data;
}

/** x·2^e (exact) or x·10^e (rounded), e drawn so that values reach the ends of float32. */
export function scaled(rng, data) {
  const decimal = rng.chance(0.5);
  const e = decimal ? rng.int(-44, 37) : rng.int(-148, 126);
  const factor = decimal ? 10 ** e : 2 ** e;
  return { data: Float32Array.from(data, (v) => v * factor), factor: decimal ? `1e${e}` : `2^${e}` };
}

export { distance64 } from '../support/distance64.mjs';

/**
 * The engine's error bound for one float32 distance, from its arithmetic: a dot product of length
 * dim accumulated in float32 (γ_dim), on a sum that the refinement rule keeps below 8·d (cosine:
 * unit rows, d > 1/8), plus the final rounding into float32, subnormals included.
 */
export function distanceTolerance(want, dim) {
  return 8 * (dim + 8) * 2 ** -24 * want + 2 ** -149;
}

export const sameBits = (a, b) => a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

/**
 * The official pairing as a reference: every pair i < j of a full matrix in (d, i, j) order (the
 * stable sort of the row-major upper triangle), Kruskal with union-find. NaN never occurs here.
 */
export function kruskal(matrix, n) {
  const pairs = [];
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) pairs.push([matrix[i * n + j], i, j]);
  pairs.sort((a, b) => (a[0] !== b[0] ? (a[0] < b[0] ? -1 : 1) : a[1] !== b[1] ? a[1] - b[1] : a[2] - b[2]));
  const parent = Array.from({ length: n }, (_, v) => v);
  const find = (v) => {
    while (parent[v] !== v) v = parent[v] = parent[parent[v]];
    return v;
  };
  const edges = [];
  const deaths = [];
  for (const [d, i, j] of pairs) {
    const a = find(i);
    const b = find(j);
    if (a === b) continue;
    parent[a] = b;
    edges.push(i, j);
    deaths.push(d);
  }
  return { edges, deaths };
}
