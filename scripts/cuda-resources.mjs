#!/usr/bin/env node
// Prints the resource table of docs/cuda.md: registers, shared memory and spills of every kernel of
// native/cuda/ on every architecture the build targets, as ptxas reports them (needs nvcc, no GPU).
// The build itself fails on any spill (CMakeLists.txt: -Xptxas=-warn-spills,-Werror); this records
// the budget each kernel actually uses.
//   node scripts/cuda-resources.mjs [--arch 75,80,86,89,90]
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const archArg = process.argv.indexOf('--arch');
const archs = (archArg > 0 ? process.argv[archArg + 1] : '75,80,86,89,90').split(',');
const sources = JSON.parse(readFileSync(path.join(root, 'native/sources.json'), 'utf8')).cuda;

/** ptxas's report for one file and architecture: kernel → { registers, shared, spills }. */
function usage(file, arch) {
  const r = spawnSync('nvcc', ['-std=c++17', '-I', root, '-O3', `-arch=sm_${arch}`, '--resource-usage', '-Xptxas=-warn-spills',
    '-c', path.join(root, file), '-o', '/dev/null'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`nvcc failed on ${file} (sm_${arch}):\n${r.stderr}`);
  const out = r.stdout + r.stderr;  // ptxas reports on stderr
  const kernels = new Map();
  let current = '';
  for (const line of out.split('\n')) {
    const fn = /Function properties for (\S+)/.exec(line);
    if (fn) current = fn[1];
    const spill = /(\d+) bytes spill stores/.exec(line);
    if (spill && current) kernels.set(current, { ...kernels.get(current), spills: Number(spill[1]) });
    const used = /Used (\d+) registers/.exec(line);
    const shared = /(\d+) bytes smem/.exec(line);
    if (used && current) kernels.set(current, { ...kernels.get(current), registers: Number(used[1]), shared: Number(shared?.[1] ?? 0) });
  }
  return kernels;
}

const demangle = (names) => execFileSync('c++filt', { input: names.join('\n'), encoding: 'utf8' }).trim().split('\n');
const METRICS = ['Euclidean', 'SqEuclidean', 'Cosine'];
const short = (name) => name.replace(/\(topofr::Metric\)(\d)/g, (_, m) => METRICS[Number(m)]).replace(/^void /, '')
  .replace(/^topofr::cuda::(kernels|test)::(\(anonymous namespace\)::)?/, '').replace(/\(.*$/, '');

const rows = new Map();
for (const file of sources) {
  for (const arch of archs) {
    for (const [mangled, u] of usage(file, arch)) {
      if (!rows.has(mangled)) rows.set(mangled, { file, byArch: {} });
      rows.get(mangled).byArch[arch] = u;
    }
  }
}
const names = demangle([...rows.keys()]);
console.log(`| kernel (file) | ${archs.map((a) => `sm_${a}`).join(' | ')} |`);
console.log(`|---|${archs.map(() => '---').join('|')}|`);
[...rows.values()].forEach((r, k) => {
  const cells = archs.map((a) => {
    const u = r.byArch[a];
    return u ? `${u.registers} r${u.shared ? `, ${(u.shared / 1024).toFixed(1)} KiB` : ''}${u.spills ? `, **${u.spills} B spilled**` : ''}` : '—';
  });
  console.log(`| \`${short(names[k])}\` (${path.basename(r.file)}) | ${cells.join(' | ')} |`);
});
console.log(`\nr = registers per thread, KiB = static shared memory per block; spills: none.`);
