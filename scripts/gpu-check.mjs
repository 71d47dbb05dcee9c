#!/usr/bin/env node
// Step 4 of scripts/gpu-check.sh: the API-level GPU checks and the GPU bench cases side by side
// with the CPU (dist/bench/gpu.js), gathered with the CUDA test and kernel-rate outputs of step 3
// into one JSON file, and DESIGN.md §6's targets judged. No dependencies beyond Node and the
// compiled package (the addon comes from TOPOFR_ADDON). Exit status 1 when a correctness check or
// a CUDA test failed; a missed speed target is reported, not fatal.
//   node scripts/gpu-check.mjs --out FILE --tests FILE --bench FILE [--gpu NAME] [--quick]
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';

const args = Object.fromEntries(process.argv.slice(2).reduce((pairs, a, i, all) => {
  if (a.startsWith('--')) pairs.push([a.slice(2), all[i + 1] && !all[i + 1].startsWith('--') ? all[i + 1] : true]);
  return pairs;
}, []));
const gpu = typeof args.gpu === 'string' && args.gpu !== '' ? args.gpu : '';
const read = (file) => {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
};

const { capabilities } = await import('../dist/capabilities.js');
const { gpuBenches, gpuChecks } = await import('../dist/bench/gpu.js');

const report = {
  when: new Date().toISOString(),
  machine: { gpu: gpu || 'none: dry run, GPU results pending', cpus: os.cpus().length, cpu: os.cpus()[0]?.model, node: process.version },
  capabilities: capabilities(),
  cuda_tests: {},
  kernel_rates: {},
  checks: [],
  benches: [],
  targets: [],
};

// Step 3's outputs: "ok NAME" / "FAIL NAME: …" / "N passed, M failed", and "bench NAME {json}".
const tests = read(args.tests);
const summary = /(\d+) passed, (\d+) failed/.exec(tests);
report.cuda_tests = {
  where: gpu ? 'on the GPU (nvcc)' : 'under the SIMT emulator (no GPU)',
  passed: summary ? Number(summary[1]) : 0,
  failed: summary ? Number(summary[2]) : 1,
  failures: tests.split('\n').filter((l) => l.startsWith('FAIL')),
};
for (const line of read(args.bench).split('\n')) {
  const m = /^bench (.+?) (\{.*\})$/.exec(line);
  if (m) report.kernel_rates[m[1]] = JSON.parse(m[2]);
}

for (const check of gpuChecks()) {
  if (!gpu) {
    report.checks.push({ name: check.name, status: 'pending (no GPU)' });
    continue;
  }
  const t0 = performance.now();
  try {
    check.run();
    report.checks.push({ name: check.name, status: 'passed', ms: Math.round(performance.now() - t0) });
  } catch (e) {
    report.checks.push({ name: check.name, status: 'failed', error: String(e?.message ?? e), ms: Math.round(performance.now() - t0) });
  }
  console.log(`${report.checks.at(-1).status.padEnd(7)} ${check.name}`);
}

report.benches = await gpuBenches({ cpuOnly: !gpu, quick: args.quick === true });
for (const row of report.benches) {
  console.log(`${row.case.padEnd(30)} ${row.device.padEnd(5)} ${row.median_ms.toFixed(3).padStart(11)} ms (${row.runs} runs)  ${row.note ?? ''}`);
  if (row.target_ms !== undefined)
    report.targets.push({ case: row.case, target: `≤ ${row.target_ms} ms`, measured_ms: row.median_ms, met: row.median_ms <= row.target_ms, note: row.note });
}
for (const [name, rate] of Object.entries(report.kernel_rates)) {
  if (rate.fraction_of_fp32 !== undefined && name.includes('16384'))
    report.targets.push({ case: name, target: '≥ 50 % of the measured FP32 rate', measured: rate.fraction_of_fp32, met: rate.fraction_of_fp32 >= 0.5 });
}
if (!gpu) report.targets.push({ case: 'all GPU targets', status: 'pending: no GPU on this machine' });

const file = typeof args.out === 'string' ? args.out : 'gpu-check.json';
writeFileSync(`${file}.tmp`, `${JSON.stringify(report, null, 2)}\n`);
renameSync(`${file}.tmp`, file);
for (const t of report.targets) console.log(`target ${t.case}: ${t.target ?? ''} ${t.met === undefined ? t.status : t.met ? 'met' : 'MISSED'}`);
const failed = report.cuda_tests.failed > 0 || report.checks.some((c) => c.status === 'failed');
process.exit(failed ? 1 : 0);
