#!/usr/bin/env node
// The package's install step. Ships as `"install"` so that:
// - a user of the npm package with a matching prebuild (prebuilds/<platform>-<arch>/) gets it
//   loaded as is: nothing is compiled, nothing is downloaded;
// - a user on a platform without a prebuild gets a CPU-only source build through node-gyp
//   (binding.gyp; needs python3, make and a C++17 compiler);
// - a developer in a git checkout (cmake-js installed as a dev dependency) gets the full CMake
//   build: CUDA when nvcc exists, OpenBLAS when Debian's static serial libopenblas exists.
// TOPOFR_SKIP_NATIVE_BUILD=1 skips building (the runtime then reports the missing addon clearly).
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const root = path.resolve(__dirname, '..');

function loads() {
  try {
    require('node-gyp-build')(root);
    return true;
  } catch {
    return false;
  }
}

function run(command, args) {
  console.log(`topofr: ${[command, ...args].join(' ')}`);
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
  return result.status === 0;
}

function resolveCmakeJs() {
  try {
    return require.resolve('cmake-js/bin/cmake-js', { paths: [root] });
  } catch {
    return null;
  }
}

if (process.env.TOPOFR_SKIP_NATIVE_BUILD === '1' || loads()) process.exit(0);
const cmakeJs = resolveCmakeJs();
const built = cmakeJs
  ? run(process.execPath, [cmakeJs, 'rebuild'])
  : run('node-gyp', ['rebuild']); // npm puts its bundled node-gyp on PATH for install scripts
if (!built) {
  console.error('topofr: building the native addon failed; see the output above. topofr needs it for every operation.');
  process.exit(1);
}
