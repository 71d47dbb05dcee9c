// One rank of test/mpi-train.test.ts's fault check: trains the settings in argv[2] (JSON) as a
// rank of the MPI world, through the library API and the CLI's fault handling; the rank named by
// argv[3] kills itself with SIGKILL after the step argv[4] (no cleanup, as a crashed node), after
// writing the time of death to argv[5].
import { writeFileSync } from 'node:fs';
import { runDistributed } from '../../dist/distributed/faults.js';
import { mpiWorld } from '../../dist/distributed/world.js';
import { quietTfjs } from '../../dist/tf/quiet.js';
import { resolveConfig } from '../../dist/train/config.js';
import { train } from '../../dist/train/trainer.js';

const [settings, victim, killAfter, deathFile] = [JSON.parse(process.argv[2]), Number(process.argv[3]), Number(process.argv[4]), process.argv[5]];
quietTfjs();
const world = mpiWorld();
const config = resolveConfig({}, { ...settings, shards: world.size });
await runDistributed(world, () => train(config, {
  world,
  onStep: (record) => {
    if (world.rank !== victim || record.step !== killAfter) return;
    writeFileSync(deathFile, String(Date.now()));
    process.kill(process.pid, 'SIGKILL');
  },
}));
