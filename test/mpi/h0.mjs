// One rank of test/mpi-h0.test.ts: distributed H0 (world.persistenceH0) of the clouds the test
// wrote to DIR/<name>.f32 (+ DIR/<name>.json: { n, dim, metric }), sync and async forms; rank 0
// writes DIR/<name>.<ranks>.out.json with both results.
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { mpiWorld } from '../../dist/distributed/world.js';

const dir = process.argv[2];
const world = mpiWorld();
for (const file of readdirSync(dir).filter((f) => f.endsWith('.f32')).sort()) {
  const name = file.slice(0, -4);
  const { n, dim, metric } = JSON.parse(readFileSync(`${dir}/${name}.json`, 'utf8'));
  const bytes = readFileSync(`${dir}/${file}`);
  const data = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4).slice();
  const sync = world.persistenceH0({ data, n, dim }, { metric });
  const async = await world.async.persistenceH0({ data, n, dim }, { metric, threads: 1 });
  if (world.rank === 0) {
    const plain = (r) => ({ edges: Array.from(r.edges), deaths: Array.from(r.deaths) });
    writeFileSync(`${dir}/${name}.${world.size}.out.json`, JSON.stringify({ sync: plain(sync), async: plain(async) }));
  }
}
world.finalize();
