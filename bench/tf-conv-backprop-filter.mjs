// One Conv2DBackpropFilter (x 32×56×56×64, filter 3×3×64×64, stride 1, 'same'), tfjs's JS cpu
// kernel vs the native one (src/tf/native-kernels.ts). Not a test: run after `npm run build`:
//   node bench/tf-conv-backprop-filter.mjs [batch=32] [jsBatch=1]   (jsBatch 0: native only; medians)
// The stock JS kernel needs minutes at batch 32 (it reads every element through TensorBuffer.get),
// so it is timed at jsBatch and scaled linearly to the full batch (its cost is linear in batch).
import * as tf from '@tensorflow/tfjs';
import { registerNativeKernels, unregisterNativeKernels } from '../dist/tf/native-kernels.js';

tf.enableProdMode();
const batch = Number(process.argv[2] ?? 32), jsBatch = Number(process.argv[3] ?? 1);
const [H, W, C, O, K] = [56, 56, 64, 64, 3];
const attrs = { strides: [1, 1], pad: 'same', dataFormat: 'NHWC', dimRoundingMode: undefined, filterShape: [K, K, C, O] };
const flops = (n) => 2 * n * H * W * O * K * K * C;
const rand = (shape) => tf.randomUniform(shape, -1, 1, 'float32', 7);

function time(n, reps) {
  const x = rand([n, H, W, C]), dy = rand([n, H, W, O]);
  const once = () => { const t0 = performance.now(); const dw = tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, attrs); dw.dataSync(); const ms = performance.now() - t0; dw.dispose(); return ms; };
  if (reps > 1) once();  // warm-up (not for the minutes-long JS kernel)
  const times = Array.from({ length: reps }, once).sort((a, b) => a - b);
  tf.dispose([x, dy]);
  return times[Math.floor(times.length / 2)]; // the median
}

registerNativeKernels();
const nat = time(batch, 5);
unregisterNativeKernels();
console.log(`native: batch ${batch}: ${nat.toFixed(1)} ms, ${(flops(batch) / nat / 1e6).toFixed(1)} GFLOP/s`);
if (jsBatch > 0) {  // jsBatch = 0: the native kernel only
  const js = time(jsBatch, 1);
  const jsFull = (js * batch) / jsBatch;
  console.log(`tfjs JS: batch ${jsBatch}: ${js.toFixed(0)} ms, ${(flops(jsBatch) / js / 1e6).toFixed(3)} GFLOP/s` +
    ` → batch ${batch} ≈ ${(jsFull / 1000).toFixed(0)} s (linear scaling)`);
  console.log(`speed-up ≈ ${(jsFull / nat).toFixed(0)}×`);
}
