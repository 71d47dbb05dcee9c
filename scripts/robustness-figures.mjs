// The closing figures of issue 15, measured: how many inputs the fuzz targets tried and how many
// crashed (a signal), hung, were refused without a typed error or answered wrongly; worker_threads
// ended inside native calls; runs killed after each file operation and resumed; async calls in
// flight together; the 13-byte sparse file. Everything runs in child processes, so a crash or a hang is counted, not fatal.
//   npm run build && node scripts/robustness-figures.mjs [--minutes 10] [--parts fuzz,teardown,kill,concurrency,sparse] [--json out.json]
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const ROOT = join(import.meta.dirname, '..');
const { values } = parseArgs({ options: { minutes: { type: 'string', default: '10' }, parts: { type: 'string', default: 'fuzz,teardown,kill,concurrency,sparse' },
  json: { type: 'string' } } });
const parts = new Set(values.parts.split(','));
const budget = Number(values.minutes) * 60;
const TARGETS = ['distances', 'h0', 'rips', 'ripser-input', 'config', 'cli', 'api', 'mid-call'];
const HANG_SECONDS = 120;

/** Runs a fuzz target from case `first` until `seconds` are spent; a crash or a hang ends the
 *  child: it is counted and the run goes on after the case that caused it. */
async function fuzz(target, seed, seconds) {
  const tally = { cases: 0, accepted: 0, refused: 0, failures: [], crashes: [], hangs: [] };
  const end = performance.now() + seconds * 1000;
  let first = 0;
  while (performance.now() < end) {
    const left = (end - performance.now()) / 1000;
    const outcome = await new Promise((resolve) => {
      const child = spawn(process.execPath, [join(ROOT, 'test/fuzz/run.mjs'), '--target', target, '--seed', String(seed), '--first', String(first),
        '--cases', '100000000', '--seconds', String(Math.max(1, left))], { cwd: ROOT, stdio: ['ignore', 'pipe', 'ignore'] });
      let out = '';
      let last = first - 1;
      let hung = false;
      const arm = () => setTimeout(() => ((hung = true), child.kill('SIGKILL')), HANG_SECONDS * 1000);
      let watchdog = arm();
      child.stdout.on('data', (chunk) => {
        out = (out + chunk.toString()).slice(-1_000_000);
        const cases = out.match(/case (\d+)\n/g);
        if (cases) last = Number(cases[cases.length - 1].slice(5));
        clearTimeout(watchdog);
        watchdog = arm();
      });
      child.on('close', (status, signal) => {
        clearTimeout(watchdog);
        const line = out.split('\n').find((l) => l.startsWith('result '));
        resolve({ status, signal, hung, last, result: line ? JSON.parse(line.slice(7)) : undefined });
      });
    });
    if (outcome.result) {
      for (const key of ['cases', 'accepted', 'refused']) tally[key] += outcome.result[key];
      tally.failures.push(...outcome.result.failures);
      break;
    }
    // No result: the child died in case `last` (or hung there). Count it, go on after it.
    tally.cases += outcome.last - first + 1;
    (outcome.hung ? tally.hangs : tally.crashes).push({ case: outcome.last, signal: outcome.signal, status: outcome.status });
    first = outcome.last + 1;
  }
  return tally;
}

/** worker_threads ended inside each entry point (terminate during sync and async calls, process.exit
 *  during async calls) at random delays; a trial is one entry point in one child. */
function teardownTrials(seconds) {
  const t = { trials: 0, inFlight: 0, aborted: 0 };
  const end = performance.now() + seconds * 1000;
  for (let k = 0; performance.now() < end; k++) {
    const mode = ['sync-terminate', 'async-terminate', 'async-exit'][k % 3];
    const delay = Math.floor(Math.random() * 300);
    const r = spawnSync(process.execPath, [join(ROOT, 'test/support/worker-teardown.mjs'), mode, String(delay)], { encoding: 'utf8', timeout: 300_000 });
    const lines = r.stdout.trim() ? r.stdout.trim().split('\n') : [];
    t.trials += r.status === 0 ? lines.length : lines.length + 1;
    t.inFlight += lines.filter((l) => l.endsWith('(in flight)')).length + (r.status === 0 ? 0 : 1);
    if (r.status !== 0 || r.signal) t.aborted++;
  }
  return t;
}

/** Kill-and-resume: a tiny run killed after each of its file operations in turn (and at random
 *  times, mid-step), resumed, compared with the uninterrupted run; double kills (the resume killed
 *  too) for some. */
function killResumeTrials(seconds) {
  const dir = mkdtempSync(join(tmpdir(), 'topofr-figures-'));
  const config = (name) => JSON.stringify({
    name, outDir: dir, trainIdentities: 4, testIdentities: 2, samplesPerIdentity: 3, imageSize: 16, batchSize: 4, epochs: 2,
    widthMultiplier: 0.05, embeddingSize: 8, checkpointEvery: 2, logEvery: 1, maxSteps: 6, verificationPairs: 20, progress: false });
  const train = (name, env = {}, resume = false) => spawnSync(process.execPath, [join(ROOT, 'test/support/train-child.mjs'), config(name),
    ...(resume ? ['--resume'] : [])], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 300_000 });
  const log = join(dir, 'ops.log');
  train('straight', { TOPOFR_FILE_OPERATION_LOG: log });
  const operations = readFileSync(log, 'utf8').trim().split('\n').length;
  const state = (name) => {
    const manifest = JSON.parse(readFileSync(join(dir, name, 'checkpoint', 'checkpoint.json'), 'utf8'));
    const bytes = readFileSync(join(dir, name, 'checkpoint', manifest.file));
    const steps = readFileSync(join(dir, name, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).step);
    return { step: manifest.state.step, tensors: bytes.toString('base64'), steps };
  };
  const want = state('straight');
  const t = { operations, trials: 0, kills: 0, resumed: 0, restartedFresh: 0, identical: 0, differentWeights: 0, duplicateSteps: 0, missingSteps: 0, otherFailures: 0 };
  const end = performance.now() + seconds * 1000;
  const trial = (name, firstKill, secondKill) => {
    t.trials++;
    const killed = train(name, { TOPOFR_CRASH_AFTER_FILE_OPERATION: String(firstKill) });
    if (killed.signal === 'SIGKILL') t.kills++;
    let resumed = train(name, secondKill ? { TOPOFR_CRASH_AFTER_FILE_OPERATION: String(secondKill) } : {}, true);
    if (secondKill && resumed.signal === 'SIGKILL') (t.kills++, (resumed = train(name, {}, true)));
    if (resumed.status !== 0 && /no usable checkpoint/.test(resumed.stderr)) {
      // Killed before the first checkpoint: nothing to resume, the run is started again.
      t.restartedFresh++;
      resumed = train(name);
    } else if (resumed.status === 0) t.resumed++;
    if (resumed.status !== 0) return void t.otherFailures++;
    const got = state(name);
    if (got.step === want.step && got.tensors === want.tensors) t.identical++;
    else t.differentWeights++;
    if (new Set(got.steps).size !== got.steps.length) t.duplicateSteps++;
    if (got.steps.join() !== want.steps.join()) t.missingSteps++;
  };
  for (let k = 1; k <= operations && performance.now() < end; k++) trial(`op-${k}`, k);
  for (let k = 0; performance.now() < end; k++) {
    const first = 1 + Math.floor(Math.random() * operations);
    trial(`double-${k}`, first, 1 + Math.floor(Math.random() * operations));
  }
  rmSync(dir, { recursive: true, force: true });
  return t;
}

/** Many async calls in flight at once, inputs detached, compared with sync; memory over 9 150 calls. */
function concurrency() {
  const r = spawnSync(process.execPath, ['--expose-gc', join(ROOT, 'test/support/concurrency-child.mjs'), '150', '60'], { encoding: 'utf8', timeout: 600_000 });
  return r.status === 0 ? JSON.parse(r.stdout) : { failed: r.status ?? r.signal, stderr: r.stderr.slice(-300) };
}

/** The 13-byte sparse file "0 16777215 1" (n = 16.8 M vertices) and its 2^31 − 1 version. */
function sparseFile() {
  const dir = mkdtempSync(join(tmpdir(), 'topofr-figures-sparse-'));
  const rows = [];
  for (const n of [16777215, 2147483646]) {
    const file = join(dir, 'huge.sparse');
    writeFileSync(file, `0 ${n} 1\n`);
    const t0 = performance.now();
    const r = spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, join(ROOT, 'dist/cli/main.js'), 'persistence', file, '--format', 'sparse', '--dim', '0'],
      { encoding: 'utf8', maxBuffer: 1 << 30 });
    const seconds = (performance.now() - t0) / 1000;
    const kb = Number(r.stderr.trim().split('\n').pop());
    rows.push({ vertices: n + 1, status: r.status, seconds: Number(seconds.toFixed(1)), peakRssMb: Math.round(kb / 1024),
      message: r.status === 0 ? `${r.stdout.length} bytes of output` : r.stderr.split('\n')[0] });
  }
  rmSync(dir, { recursive: true, force: true });
  return rows;
}

const figures = { startedAt: new Date().toISOString(), minutes: Number(values.minutes) };
const share = { fuzz: 0.6, teardown: 0.1, kill: 0.3 };
const total = [...parts].reduce((sum, p) => sum + (share[p] ?? 0), 0) || 1;
const seconds = (part) => (budget * share[part]) / total;
const lines = ['| what | figure |', '|---|---|'];

if (parts.has('fuzz')) {
  figures.fuzz = {};
  for (const target of TARGETS) {
    figures.fuzz[target] = await fuzz(target, 2, seconds('fuzz') / TARGETS.length);
    process.stderr.write(`fuzz ${target}: ${JSON.stringify({ ...figures.fuzz[target], failures: figures.fuzz[target].failures.length })}\n`);
  }
  const sum = (key) => Object.values(figures.fuzz).reduce((s, f) => s + (Array.isArray(f[key]) ? f[key].length : f[key]), 0);
  lines.push(
    `| fuzz inputs tried (8 targets, seed 2) | ${sum('cases')} (${sum('accepted')} accepted and checked, ${sum('refused')} refused with a typed error) |`,
    `| … of which checked against an oracle (distances, H0, Rips) | ${['distances', 'h0', 'rips'].reduce((s, t) => s + figures.fuzz[t].accepted, 0)} |`,
    `| crashes (a signal) | ${sum('crashes')} |`,
    `| hangs (no progress for ${HANG_SECONDS} s) | ${sum('hangs')} |`,
    `| wrong answers or untyped errors | ${sum('failures')} |`);
}
if (parts.has('teardown')) {
  const t = (figures.teardown = teardownTrials(seconds('teardown')));
  lines.push(`| worker_threads ended while a native call runs (terminate in sync/async calls, process.exit in async calls) | ${t.trials} trials (${t.inFlight} with the call in flight), ${t.aborted} aborts |`);
}
if (parts.has('kill')) {
  const k = (figures.killResume = killResumeTrials(seconds('kill')));
  lines.push(`| kills after a file operation (${k.operations} per run), resumed | ${k.trials} runs, ${k.kills} kills: ${k.identical} bit-identical, ${k.differentWeights} different, ${k.duplicateSteps} with duplicate steps, ${k.missingSteps} with missing steps, ${k.restartedFresh} killed before the first checkpoint (started again), ${k.otherFailures} other failures |`);
}
if (parts.has('concurrency')) {
  const c = (figures.concurrency = concurrency());
  lines.push(`| async calls, 150 in flight at once, inputs detached | ${c.calls} calls, ${c.wrong} results different from sync; RSS ${c.rssBeforeMb} → ${c.rssAfterMb} MB |`);
}
if (parts.has('sparse')) {
  figures.sparse = sparseFile();
  lines.push(...figures.sparse.map((s) => `| sparse file naming ${s.vertices} vertices | exit ${s.status} in ${s.seconds} s, peak RSS ${s.peakRssMb} MB: ${s.message.slice(0, 120)} |`));
}
process.stdout.write(`${lines.join('\n')}\n`);
if (values.json) writeFileSync(values.json, `${JSON.stringify(figures, null, 2)}\n`);
