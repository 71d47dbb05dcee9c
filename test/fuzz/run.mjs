// The fuzz runner: one target, one seed, cases 0, 1, 2, … until `cases` or `seconds` is reached.
// Runs in a child process (test/fuzz.test.ts, scripts/robustness-figures.mjs), so that a signal
// or a hang in one case is seen from outside: before each case it prints "case <k>", at the end
// one line "result <json>". Every case is a function of (seed, k) alone: `--first k --cases 1`
// replays case k. It imports the built package (dist/): run `npm run build` first.
//
//   node test/fuzz/run.mjs --target h0 --seed 1 [--first 0] [--cases 500] [--seconds 10]
//
// A case builds an input and calls public functions. Accepted calls are checked against an
// oracle where there is one (a wrong answer is a failure); refusals must be topofr's typed errors
// (TopofrError/TopofrTypeError/TopofrRangeError with an ERR_TOPOFR_* code) whose message is one
// printable line. Anything else thrown is a failure.
import { parseArgs } from 'node:util';
import { FuzzFailure, isTyped, rngFor } from './support.mjs';

const describeError = (err) => {
  try {
    return `${String(err?.name)}: ${String(err?.message).slice(0, 300)}`;
  } catch {
    return typeof err;
  }
};

const { values } = parseArgs({
  options: {
    target: { type: 'string' },
    seed: { type: 'string', default: '1' },
    first: { type: 'string', default: '0' },
    cases: { type: 'string', default: '1000' },
    seconds: { type: 'string', default: '10' },
  },
});
const target = (await import(`./targets/${values.target}.mjs`)).default;
const seed = Number(values.seed);
const first = Number(values.first);
const limit = first + Number(values.cases);
const deadline = performance.now() + Number(values.seconds) * 1000;

const result = { target: values.target, seed, first, cases: 0, accepted: 0, refused: 0, failures: [] };
for (let k = first; k < limit && performance.now() < deadline; k++) {
  process.stdout.write(`case ${k}\n`);
  result.cases++;
  let c = { label: '(the case could not be made)' };
  try {
    c = target.make(rngFor(seed, k), k);
    await c.run();
    result.accepted++;
  } catch (err) {
    let problem;
    try {
      if (!(err instanceof FuzzFailure) && isTyped(err, target.refusals)) {
        result.refused++;
        continue;
      }
      problem = err instanceof FuzzFailure ? err.message : `not a typed error: ${describeError(err)}`;
    } catch (bad) {
      problem = bad.message;  // a typed error with a bad message
    }
    result.failures.push({ case: k, input: c.label.slice(0, 500), problem });
  }
}
process.stdout.write('closing\n');
await target.close?.();
process.stdout.write(`result ${JSON.stringify(result)}\n`);
