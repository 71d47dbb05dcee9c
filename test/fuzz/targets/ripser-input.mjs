// The readers of Ripser's seven input formats (the CLI's parser, src/io/ripser-input.ts) on
// random bytes, mutated valid files (Ripser's own examples and generated ones: flipped, deleted,
// duplicated and inserted bytes, control bytes, numbers beyond float32) and hostile file names.
// Accepted input must have a consistent shape; small inputs then go through the persistence
// command's computation and both output formats. Refusals: ERR_TOPOFR_PARSE and friends, one
// printable line (a control byte in the file or its name must not reach the terminal).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { computePersistence } from '../../../dist/cli/persistence-run.js';
import { parseRipserInput, RIPSER_FORMATS } from '../../../dist/io/ripser-input.js';
import { formatJson, formatRipserText } from '../../../dist/io/ripser-output.js';
import { fail, hasControl } from '../support.mjs';

const FIXTURES = join(import.meta.dirname, '..', '..', 'fixtures', 'ripser');
const EXAMPLES = {
  'lower-distance': ['projective_plane.lower_distance_matrix', 'random16.lower_distance_matrix'],
  'upper-distance': ['random16.upper_distance_matrix'],
  distance: ['projective_plane.csv'],
  'point-cloud': [],
  dipha: [],
  sparse: ['random16.sparse.txt'],
  binary: [],
}
const files = Object.fromEntries(Object.entries(EXAMPLES).map(([format, names]) => [format, names.map((f) => readFileSync(join(FIXTURES, f)))]));

const BYTES = [...'0123456789 \n-.e,+', '\r', '\t', '\u001b', '\u0000', '\u007f'].map((c) => c.charCodeAt(0)).concat([0x9b, 0xff, 0xc3]);
const WORDS = ['1e39', '-1e39', 'nan', 'inf', '-0', '99999999999999999999', '0.1e-50', '1,', ',,', '2147483647', '-3', '\u001b[2J', '1e'];

function numbers(rng, count, integers) {
  return Array.from({ length: count }, () => (integers ? String(rng.int(0, 9)) : (rng.normal() * 3).toFixed(rng.int(0, 6))));
}

/** A valid file of the format, small. */
function generate(rng, format) {
  const n = rng.int(1, 9);
  const lines = [];
  switch (format) {
    case 'lower-distance':
      for (let i = 1; i < n; i++) lines.push(numbers(rng, i, false).map((v) => v.replace('-', '')).join(rng.pick([' ', ',', '\t'])));
      return Buffer.from(lines.join('\n'));
    case 'upper-distance':
      for (let i = 0; i < n - 1; i++) lines.push(numbers(rng, n - 1 - i, false).map((v) => v.replace('-', '')).join(' '));
      return Buffer.from(lines.join('\n'));
    case 'distance':
      for (let i = 0; i < n; i++) lines.push(numbers(rng, n, false).map((v) => v.replace('-', '')).join(','));
      return Buffer.from(lines.join('\n'));
    case 'point-cloud': {
      const dim = rng.int(1, 4);
      for (let i = 0; i < n; i++) lines.push(numbers(rng, dim, false).join(' '));
      return Buffer.from(lines.join('\n') + (rng.chance(0.5) ? '\n' : ''));
    }
    case 'sparse':
      for (let k = 0; k < n; k++) lines.push(`${rng.int(0, 12)} ${rng.int(0, 12)} ${Math.abs(rng.normal()).toFixed(3)}`);
      return Buffer.from(lines.join('\n'));
    case 'binary':
      return Buffer.from(Float32Array.from({ length: (n * (n - 1)) / 2 }, () => Math.abs(rng.normal())).buffer);
    case 'dipha': {
      const out = Buffer.alloc(24 + 8 * n * n);
      out.writeBigInt64LE(8067171840n, 0);
      out.writeBigInt64LE(7n, 8);
      out.writeBigInt64LE(BigInt(n), 16);
      for (let k = 0; k < n * n; k++) out.writeDoubleLE(Math.abs(rng.normal()), 24 + 8 * k);
      return out;
    }
  }
}

function mutate(rng, bytes) {
  let out = Buffer.from(bytes);
  for (let m = rng.int(1, 4); m > 0; m--) {
    const at = rng.int(0, out.length);
    switch (rng.int(0, 4)) {
      case 0: if (out.length) out[Math.min(at, out.length - 1)] = rng.pick(BYTES); break;
      case 1: out = Buffer.concat([out.subarray(0, at), out.subarray(Math.min(out.length, at + rng.int(1, 8)))]); break;
      case 2: out = Buffer.concat([out.subarray(0, at), Buffer.from(rng.pick(WORDS)), out.subarray(at)]); break;
      case 3: out = out.subarray(0, at); break;
      default: out = Buffer.concat([out, out.subarray(0, Math.min(at, 16))]); break;
    }
  }
  return out;
}

function checkShape(input) {
  if (input.kind === 'lower') {
    const { lower, n } = input.matrix;
    if (!(Number.isInteger(n) && n >= 1 && lower.length === (n * (n - 1)) / 2)) fail(`lower triangle of ${lower.length} values for n = ${n}`);
  } else if (input.kind === 'points') {
    const { data, n, dim } = input.cloud;
    if (!(n >= 1 && dim >= 1 && data.length === n * dim)) fail(`point cloud ${n}×${dim} with ${data.length} values`);
  } else {
    const { n, i, j, d } = input.sparse;
    if (!(i.length === j.length && j.length === d.length)) fail('sparse arrays of different lengths');
    for (let k = 0; k < i.length; k++) if (!(i[k] >= 0 && i[k] < n && j[k] >= 0 && j[k] < n && i[k] !== j[k])) fail(`sparse entry ${k} (${i[k]}, ${j[k]}) for n = ${n}`);
  }
}

const sizeOf = (input) => (input.kind === 'lower' ? input.matrix.n : input.kind === 'points' ? input.cloud.n : input.sparse.n);

export default {
  make(rng) {
    const format = rng.pick(RIPSER_FORMATS);
    const source = rng.pick(['random', 'generated', 'generated', 'example']);
    const base = source === 'example' && files[format].length > 0 ? rng.pick(files[format])
      : source === 'random' ? Buffer.from(Array.from({ length: rng.int(0, 120) }, () => rng.pick(BYTES))) : generate(rng, format);
    const bytes = source === 'random' || rng.chance(0.7) ? mutate(rng, base) : base;
    const name = rng.chance(0.1) ? 'evil\u001b]0;title\u0007.txt' : 'input.txt';
    const options = { dim: rng.int(0, 2), threshold: rng.chance(0.3) ? Math.fround(rng.uniform() * 5) : undefined, ratio: rng.chance(0.2) ? 1.5 : undefined };
    return {
      label: `${format} ${source} ${bytes.length} bytes ${JSON.stringify(bytes.subarray(0, 80).toString('latin1'))} dim ${options.dim}`,
      async run() {
        const input = parseRipserInput(bytes, format, name);
        checkShape(input);
        if (sizeOf(input) > 40) return;
        const report = await computePersistence(input, options);
        const text = formatRipserText(report);
        if (hasControl(text.replaceAll('\n', ''))) fail('control character in the Ripser text');
        JSON.parse(formatJson(report));
      },
    };
  },
};
