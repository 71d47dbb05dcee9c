// Fault injection for the crash-point test (test/checkpoint-crash.test.ts): with
// TOPOFR_CRASH_AFTER_FILE_OPERATION=k the process kills itself (SIGKILL: no cleanup, no flushing,
// like a power cut or the OOM killer) right after its k-th durable file operation: each write,
// fsync, rename and removal of a checkpoint, of the run's config.json and metrics.jsonl, and each
// appended metrics line. TOPOFR_FILE_OPERATION_LOG=path lists the operations as they happen, so a
// test can count them in an uninterrupted run first. Unset (always, outside that test), it is one
// comparison per operation.
import { appendFileSync, writeSync } from 'node:fs';

const crashAfter = Number(process.env.TOPOFR_CRASH_AFTER_FILE_OPERATION ?? 0);
const log = process.env.TOPOFR_FILE_OPERATION_LOG;
let count = 0;

/** Marks one file operation as done (`what`: "rename /runs/x/checkpoint/checkpoint.json"). */
export function afterFileOperation(what: string): void {
  count++;
  if (log) appendFileSync(log, `${count} ${what}\n`);
  if (count === crashAfter) {
    writeSync(2, `topofr: crash point: killed after file operation ${count} (${what})\n`);
    process.kill(process.pid, 'SIGKILL');
  }
}
