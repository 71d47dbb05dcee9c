// CPU time per step of a train-step-* bench case: the same model, head, optimizer and seeded input
// as `topofr bench`, timed with process.cpuUsage, which leaves out the time the process waits for a
// core (on a shared machine wall time mostly measures the others). On Linux, also each thread's
// share (/proc/self/task: the main thread, our pool, V8's GC helpers). Not a test; after `npm run build`:
//   TOPOFR_NUM_THREADS=1 node bench/train-step-cpu.mjs train-step-r18-56-b8-w0.25 [steps=30]
// PyTorch's side: python3 bench/anchors/torch_train_step.py FILE … --threads 1 --clock cpu.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findCase } from '../dist/bench/cases.js';
import { casePoints, writeBinary } from '../dist/bench/data.js';
import { prepareTrainStep } from '../dist/bench/cases/train.js';

const [name = 'train-step-r18-56-b8-w0.25', stepsArg = '30'] = process.argv.slice(2);
const steps = Number(stepsArg), warmup = 2;
const spec = findCase(name);
const dir = mkdtempSync(join(tmpdir(), 'topofr-cpu-'));
const file = join(dir, 'input.f32');
writeBinary(file, casePoints(spec, 20240607));  // the bench's seed
const { run, facts } = await prepareTrainStep(spec, file);
rmSync(dir, { recursive: true, force: true });

/** CPU ms of each thread so far (Linux), by "tid:name". */
function threadTicks() {
  if (!existsSync('/proc/self/task')) return {};
  return Object.fromEntries(readdirSync('/proc/self/task').map((tid) => {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8').split(') ')[1].split(' ');
    return [tid, (Number(stat[11]) + Number(stat[12])) * 10];  // utime + stime, in 10 ms ticks
  }));
}

for (let i = 0; i < warmup; i++) run();
const cpu = [], wall = [];
const before = threadTicks();
for (let i = 0; i < steps; i++) {
  const c0 = process.cpuUsage(), t0 = performance.now();
  run();
  const c = process.cpuUsage(c0);
  cpu.push((c.user + c.system) / 1000);
  wall.push(performance.now() - t0);
}
const after = threadTicks();
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
console.log(`${name}: CPU ms/step median ${median(cpu).toFixed(1)} (min ${Math.min(...cpu).toFixed(1)}), ` +
  `wall median ${median(wall).toFixed(1)} (min ${Math.min(...wall).toFixed(1)}), ${steps} steps after ${warmup}; ` +
  `loss ${facts().loss}; peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
const main = String(process.pid);
const threads = Object.entries(after).map(([tid, ms]) => [tid, (ms - (before[tid] ?? 0)) / steps]).filter(([, ms]) => ms > 0);
if (threads.length > 0) {
  const share = threads.sort((a, b) => b[1] - a[1]).map(([tid, ms]) => `${tid === main ? 'main' : tid} ${ms.toFixed(1)}`);
  console.log(`CPU ms/step per thread (10 ms ticks averaged over the steps): ${share.join(', ')}`);
}
