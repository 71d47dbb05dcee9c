#!/usr/bin/env bash
# Proves the npm package works as users get it: pack (its prepack step builds the prebuild when it is
# missing or stale: CUDA compiled in when nvcc is here), install the tarball into an empty project
# with --ignore-scripts and only `node` on PATH (no compiler, no cmake), then load it and compute;
# and without the prebuild (a platform it does not match, install scripts not run), the first call
# says how to build the addon.
set -euo pipefail
cd "$(dirname "$0")/.."
TARBALL=$PWD/$(npm pack --silent | tail -1)
CONSUMER=$(mktemp -d)
trap 'rm -rf "$CONSUMER" "$TARBALL"' EXIT
ls -l prebuilds/linux-x64/ "$TARBALL"
CONTENTS=$(tar -tzf "$TARBALL")   # not piped into grep -q: with pipefail, tar's SIGPIPE would fail the step
grep -qx 'package/prebuilds/linux-x64/node.napi.node' <<<"$CONTENTS"
grep -qx 'package/prebuilds/linux-x64/node.napi.node.stamp.json' <<<"$CONTENTS"
# everything a source build needs where no prebuild matches (binding.gyp reads native/sources.json)
for f in binding.gyp native/sources.json $(node -p "Object.values(require('./native/sources.json')).filter(Array.isArray).flat().join(' ')"); do
  grep -qx "package/$f" <<<"$CONTENTS" || { echo "the tarball lacks $f"; exit 1; }
done
cd "$CONSUMER"
npm init -y >/dev/null
npm install --ignore-scripts --no-audit --no-fund "$TARBALL"
test ! -e node_modules/topofr/build   # nothing was compiled: the prebuild is what loads
NODE_DIR=$(dirname "$(command -v node)")
mkdir -p bin && ln -s "$NODE_DIR/node" bin/node
cat > smoke.mjs <<'JS'
import { existsSync } from 'node:fs';
import { capabilities, persistenceH0, pairwiseDistances } from 'topofr';
const caps = capabilities();
console.log(JSON.stringify(caps));
// The prebuild links no JPEG library; it opens the system's at run time where there is one.
const turbo = ['x86_64', 'aarch64'].some((arch) => existsSync(`/usr/lib/${arch}-linux-gnu/libturbojpeg.so.0`));
if (turbo && caps.jpeg.decoder !== 'libjpeg-turbo') throw new Error(`the prebuild did not open libturbojpeg.so.0: ${caps.jpeg.detail}`);
const points = { data: Float32Array.from({ length: 200 * 16 }, (_, i) => Math.sin(i * 7.1)), n: 200, dim: 16 };
const h0 = persistenceH0(points);
if (h0.edges.length !== 2 * 199) throw new Error('wrong edge count');
const m = pairwiseDistances(points);
if (persistenceH0(m).deaths.some((d, k) => d !== h0.deaths[k])) throw new Error('matrix and points paths differ');
if (caps.cuda.deviceCount === 0) {
  try { pairwiseDistances(points, { device: 'cuda' }); throw new Error('cuda did not refuse'); }
  catch (e) { if (e.code !== 'ERR_TOPOFR_NO_CUDA') throw e; console.log('device cuda refused:', e.message); }
}
console.log('package OK: prebuild loaded,', caps.blas, ', cuda compiled:', caps.cuda.compiled);
JS
env -i PATH="$PWD/bin" HOME="$HOME" node smoke.mjs
if command -v nvcc >/dev/null; then
  env -i PATH="$PWD/bin" node -e "import('topofr').then(m => { if (!m.capabilities().cuda.compiled) { console.error('prebuild lacks CUDA although nvcc exists'); process.exit(1); } })"
fi
rm -rf node_modules/topofr/prebuilds
env -i PATH="$PWD/bin" HOME="$HOME" node -e "import('topofr').then(m => m.capabilities()).then(
  () => { console.error('loaded an addon although there is none'); process.exit(1); },
  (e) => { console.log(e.message); if (e.code !== 'ERR_TOPOFR_NO_NATIVE' || !e.message.includes('npm rebuild topofr')) process.exit(1); })"
echo "check-package: OK"
