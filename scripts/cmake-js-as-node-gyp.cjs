#!/usr/bin/env node
// prebuildify calls its --node-gyp program as `<bin> rebuild --target=… --arch=… --release`, then
// collects build/Release/*.node. cmake-js writes exactly there, so this shim lets prebuildify drive
// the CMake build (CUDA and OpenBLAS included) instead of node-gyp (CPU only).
// `TOPOFR_PREBUILD_INCREMENTAL=1` reuses an existing build directory (`cmake-js build`).
const { spawnSync } = require('node:child_process');

const args = process.argv.slice(2);
const value = (key) => (args.find((a) => a.startsWith(`--${key}=`)) || '').split('=')[1];
const verb = process.env.TOPOFR_PREBUILD_INCREMENTAL === '1' ? 'build' : 'rebuild';
const command = [verb, '--arch', value('arch') || process.arch];
if (args.includes('--debug')) command.push('--debug');
const result = spawnSync(process.execPath, [require.resolve('cmake-js/bin/cmake-js'), ...command], { stdio: 'inherit' });
process.exit(result.status ?? 1);
