// Training configs as the CLI reads them: YAML and JSON files (readConfigFile) and flag objects
// (resolveConfig), with known keys holding random values, unknown keys, prototype keys
// ('__proto__', 'constructor', 'toString'), control characters, nesting, YAML anchors, and files
// that are not configs at all. Accepted configs must hold every setting with its default's type,
// and no other key; Object.prototype must stay clean. Refusals: typed, one printable line.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { DEFAULT_CONFIG, readConfigFile, resolveConfig } from '../../../dist/train/config.js';
import { fail, hostileValue, show } from '../support.mjs';

const dir = mkdtempSync(join(tmpdir(), 'topofr-fuzz-config-'));
const KEYS = Object.keys(DEFAULT_CONFIG);
const ODD_KEYS = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'alhpa', '', 'name\u001b[31m', 'valueOf'];

function valueFor(rng, key) {
  const d = DEFAULT_CONFIG[key];
  if (key === 'name') return rng.pick(['.', '..', 'a/b', 'ok-name', '../up', '', 'x'.repeat(200), 'run\u0000', 'fine.name']);
  if (rng.chance(0.5)) return hostileValue(rng);
  if (typeof d === 'number') return rng.pick([d, d * 2, -d, 0, 1e-9, 1e12, Math.floor(rng.uniform() * 1000), rng.uniform()]);
  if (typeof d === 'boolean') return rng.chance(0.5);
  return rng.pick([d, 'code', 'paper', 'none', 'symmetric', 'cosface', 'tensorflow', 'cpu', 'x']);
}

function randomConfig(rng) {
  const config = {};
  for (let k = rng.int(0, 6); k > 0; k--) {
    const key = rng.chance(0.8) ? rng.pick(KEYS) : rng.pick(ODD_KEYS);
    Object.defineProperty(config, key, { value: valueFor(rng, key), enumerable: true, writable: true, configurable: true });
  }
  return config;
}

function fileText(rng, config) {
  switch (rng.int(0, 4)) {
    case 0: { try { return { name: 'c.json', text: JSON.stringify(config) ?? '' }; } catch { return { name: 'c.json', text: '{' }; } }
    case 1: { try { return { name: 'c.yaml', text: stringify(config) }; } catch { return { name: 'c.yaml', text: ':' }; } }
    case 2: return { name: 'c.yaml', text: rng.pick(['a: &x [*x]\n', '__proto__: {polluted: 1}\n', '- 1\n- 2\n', 'lr: .inf\n', 'name: !!binary aGk=\n', '{', 'null', '42', 'alpha: 0x10\n', 'x'.repeat(20) + ': 1\n'.repeat(50)]) };
    case 3: return { name: 'c.json', text: rng.pick(['{"__proto__": {"polluted": 1}}', '{"constructor": {"prototype": {"polluted": 1}}}', '[]', '"x"', '{"lr": 1e999}', '{"a":'.repeat(3000)]) };
    default: return { name: 'c.yaml', text: Buffer.from(Array.from({ length: rng.int(0, 60) }, () => rng.int(0, 255))).toString('latin1') };
  }
}

function checkConfig(config) {
  const keys = Object.keys(config).sort();
  if (keys.join() !== [...KEYS].sort().join()) fail(`config keys ${keys.join()}`);
  for (const key of KEYS) if (typeof config[key] !== typeof DEFAULT_CONFIG[key]) fail(`config.${key} is a ${typeof config[key]}`);
  if ({}.polluted !== undefined) fail('Object.prototype was polluted');
}

export default {
  make(rng, k) {
    const fromFile = rng.chance(0.5);
    const config = randomConfig(rng);
    const file = fromFile ? fileText(rng, config) : undefined;
    return {
      label: fromFile ? `file ${file.name}: ${JSON.stringify(file.text.slice(0, 200))}` : `flags ${Object.entries(config).map(([key, v]) => `${key}=${show(v)}`).join(' ').slice(0, 200)}`,
      async run() {
        if (fromFile) {
          const path = join(dir, `${k}-${file.name}`);
          writeFileSync(path, file.text);
          try {
            checkConfig(resolveConfig(readConfigFile(path)));
          } finally {
            rmSync(path);
          }
        } else {
          checkConfig(resolveConfig({}, config));
        }
      },
    };
  },
  close() {
    rmSync(dir, { recursive: true, force: true });
  },
};
