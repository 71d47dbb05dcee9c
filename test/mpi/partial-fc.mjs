// One rank of test/mpi-partial-fc.test.ts: Partial FC's classifier on this rank's seeded
// embeddings and labels, forward and backward of L = Σ a·ce + Σ b·p_gt over its own rows, at the
// sample rate argv[3]; writes its inputs, outputs, gradients and sampled classes to argv[2]/rank-<r>.json.
import { writeFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { PartialFc } from '../../dist/distributed/partial-fc.js';
import { mpiWorld } from '../../dist/distributed/world.js';
import { quietTfjs } from '../../dist/tf/quiet.js';
import { gaussian, mixSeed, mulberry32 } from '../../dist/util/random.js';

const [out, sampleRate] = [process.argv[2], Number(process.argv[3])];
const { CLASSES, DIM, BATCH, SEED, HEAD } = JSON.parse(process.argv[4]);
quietTfjs();
const world = mpiWorld();
const normal = gaussian(mulberry32(mixSeed(77, world.rank)));
const uniform = mulberry32(mixSeed(78, world.rank));
const z = Float32Array.from({ length: BATCH * DIM }, () => normal());
const labels = Int32Array.from({ length: BATCH }, () => Math.floor(uniform() * CLASSES));
const a = Float32Array.from({ length: BATCH }, () => uniform() + 0.5);
const b = Float32Array.from({ length: BATCH }, () => uniform() - 0.5);

const pfc = new PartialFc(world, { classes: CLASSES, embeddingSize: DIM, head: HEAD, sampleRate, seed: SEED });
const zVar = tf.variable(tf.tensor2d(z, [BATCH, DIM]), true, 'z');
let ce, pGt, entropies;
const { grads } = tf.variableGrads(() => {
  const c = pfc.classifier(3)(zVar, tf.tensor1d(labels, 'int32'));
  [ce, pGt, entropies] = [c.ce.dataSync(), c.pGt.dataSync(), c.entropies()];
  return tf.add(tf.sum(tf.mul(c.ce, tf.tensor1d(a))), tf.sum(tf.mul(c.pGt, tf.tensor1d(b))));
}, [zVar, pfc.centres]);
const plain = (x) => Array.from(x);
writeFileSync(`${out}/rank-${world.rank}.json`, JSON.stringify({
  rank: world.rank, lo: pfc.lo, hi: pfc.hi, z: plain(z), labels: plain(labels), a: plain(a), b: plain(b),
  ce: plain(ce), pGt: plain(pGt), entropies: plain(entropies), sample: plain(pfc.lastSample),
  dz: plain(grads[zVar.name].dataSync()), dW: plain(grads[pfc.centres.name].dataSync()),
}));
world.finalize();
