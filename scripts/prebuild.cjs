#!/usr/bin/env node
// The prebuild the npm package carries: prebuilds/<platform>-<arch>/node.napi.node (N-API, any Node
// ≥ 20; node-gyp-build finds it at run time), built by CMake in its own folder (build-prebuild/, so
// a developer's build/ keeps its own settings), stripped, with a stamp next to it naming the sources
// and settings it was built from.
//
//   node scripts/prebuild.cjs             build it (npm run prebuilds)
//   node scripts/prebuild.cjs --if-stale  the `prepack` step of npm pack / npm publish: build it only
//                                         when it is missing or its stamp does not match
//
// Settings (docs/decisions.md, "The prebuild"): the builtin GEMM kernels, not OpenBLAS, and the
// CUDA kernels when nvcc is here. Exits non-zero with a message when it cannot build: a package
// without its binary must not be published.
const { spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const target = path.join(root, 'prebuilds', `${process.platform}-${process.arch}`);
const binary = path.join(target, 'node.napi.node');
const stampFile = `${binary}.stamp.json`;
const buildDir = path.join(root, 'build-prebuild');
const BLAS = 'builtin';

function fail(message) {
  console.error(`topofr prebuild: ${message}\n` +
    'topofr prebuild: the package must not be packed without its binary. Install cmake and a C++17 compiler ' +
    '(and nvcc for the CUDA kernels), then run `npm run prebuilds`.');
  process.exit(1);
}

const hasCommand = (name) => spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;

/** Every file under native/ and the build descriptions, in a fixed order. */
function sourceFiles() {
  const walk = (dir) => fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))
    .flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]));
  return [...walk(path.join(root, 'native')), path.join(root, 'CMakeLists.txt'), __filename];
}

/** What the binary is built from: a hash of the sources, and the settings. */
function currentStamp() {
  const hash = crypto.createHash('sha256');
  for (const file of sourceFiles()) hash.update(path.relative(root, file)).update('\0').update(fs.readFileSync(file)).update('\0');
  return { sources: hash.digest('hex'), blas: BLAS, cuda: hasCommand('nvcc'), platform: process.platform, arch: process.arch };
}

function upToDate(stamp) {
  try {
    return fs.existsSync(binary) && JSON.stringify(JSON.parse(fs.readFileSync(stampFile, 'utf8'))) === JSON.stringify(stamp);
  } catch {
    return false;
  }
}

function run(command, args) {
  console.error(`topofr prebuild: ${[command, ...args].join(' ')}`);
  const r = spawnSync(command, args, { cwd: root, stdio: ['ignore', process.stderr, process.stderr] });
  return r.status === 0;
}

const stamp = currentStamp();
if (process.argv.includes('--if-stale') && upToDate(stamp)) {
  console.error(`topofr prebuild: ${path.relative(root, binary)} is up to date`);
  process.exit(0);
}
let cmakeJs;
try {
  cmakeJs = require.resolve('cmake-js/bin/cmake-js', { paths: [root] });
} catch {
  fail('cmake-js (a dev dependency) is missing: run `npm ci` first');
}
if (!run(process.execPath, [cmakeJs, 'build', '--out', buildDir, `--CDTOPOFR_BLAS=${BLAS}`])) fail('the CMake build failed (see above)');
const built = path.join(buildDir, 'Release', 'topofr.node');
if (!fs.existsSync(built)) fail(`the build did not produce ${path.relative(root, built)}`);
fs.mkdirSync(target, { recursive: true });
const partial = `${binary}.partial`;
fs.copyFileSync(built, partial);
if (process.platform === 'linux' && !run('strip', ['--strip-all', partial])) fail('strip failed');
fs.renameSync(partial, binary);
fs.writeFileSync(stampFile, `${JSON.stringify(stamp, null, 2)}\n`);
console.error(`topofr prebuild: ${path.relative(root, binary)} (${(fs.statSync(binary).size / 2 ** 20).toFixed(1)} MiB), ` +
  `GEMM ${stamp.blas}, CUDA ${stamp.cuda ? 'compiled in' : 'not compiled (no nvcc)'}`);
