// Typed errors everywhere: every public function of the package, called with valid arguments in
// which one argument, one option, or the options object itself is replaced by a hostile value
// (null, undefined, NaN, ±Infinity, huge and fractional numbers, strings with escape sequences,
// symbols, BigInts, functions, arrays of the wrong type, a Proxy around a Float32Array, an object
// that only pretends to be one, a detached or shared array, …). A call may succeed or refuse with
// a Topofr*Error; anything else (a TypeError from reading a property of null, a tfjs error, a
// native error that is not topofr's) is a failure.
import { faceIdentity } from '../../../dist/data/identity.js';
import * as T from '../../../dist/index.js';
import { hostileValue, show } from '../support.mjs';

const { tf } = T;
const f32 = (n, seed = 1) => Float32Array.from({ length: n }, (_, k) => Math.sin(k * 12.9898 + seed) * 0.9);
const cloud = () => ({ data: f32(12), n: 4, dim: 3 });
const image = () => f32(8 * 8 * 3);
let dataset;
const faces = () => (dataset ??= T.syntheticFaceDataset({ trainIdentities: 2, testIdentities: 4, samplesPerIdentity: 2, imageSize: 16, seed: 1 }));
let model;
const tinyModel = () => (model ??= T.iresnet({ depth: 18, inputSize: 16, widthMultiplier: 0.05, embeddingSize: 4 }));

/** [name, call(args), valid arguments, index of the options argument (or -1), option keys]. */
const ENTRIES = [
  ['pairwiseDistances', (a) => T.pairwiseDistances(...a), () => [cloud(), { metric: 'cosine' }], 1, ['metric', 'device', 'threads']],
  ['pairwiseDistancesAsync', (a) => T.pairwiseDistancesAsync(...a), () => [cloud(), {}], 1, ['metric', 'device', 'threads']],
  ['persistenceH0', (a) => T.persistenceH0(...a), () => [cloud(), {}], 1, ['metric', 'device', 'threads']],
  ['persistenceH0Async', (a) => T.persistenceH0Async(...a), () => [cloud(), {}], 1, ['metric', 'device', 'threads']],
  ['persistenceH0 (matrix)', (a) => T.persistenceH0(...a), () => [{ data: new Float32Array(9), n: 3 }, {}], 1, ['device', 'threads']],
  ['ripsPersistence', (a) => T.ripsPersistence(...a), () => [cloud(), { maxDim: 1 }], 1, ['maxDim', 'threshold', 'modulus', 'threads', 'metric', 'device']],
  ['ripsPersistenceSync (lower)', (a) => T.ripsPersistenceSync(...a), () => [{ lower: f32(6).map(Math.abs), n: 4 }, {}], 1, ['maxDim', 'threshold', 'modulus']],
  ['ripsPersistenceSync (sparse)', (a) => T.ripsPersistenceSync(...a), () => [{ n: 3, i: Int32Array.of(0, 1), j: Int32Array.of(1, 2), d: Float32Array.of(1, 2) }, {}], 1, ['maxDim', 'threshold', 'modulus']],
  ['structureAlignment', (a) => T.structureAlignment(...a), () => [cloud(), cloud(), { variant: 'symmetric' }], 2, ['variant', 'inputScale', 'latentScale', 'dims', 'inputGradient']],
  ['topologicalLoss', (a) => tf.tidy(() => T.topologicalLoss(...a)), () => [tf.tensor2d(f32(12), [4, 3]), tf.tensor2d(f32(8), [4, 2]), {}], 2, ['variant', 'inputScale', 'latentScale', 'dims', 'inputGradient']],
  ['fitGaussianUniform', (a) => T.fitGaussianUniform(...a), () => [Float64Array.of(0.1, 0.5, 0.2, 0.9), { variant: 'code' }], 1, ['variant', 'seed', 'maxIterations', 'tolerance']],
  ['hardnessWeight', (a) => T.hardnessWeight(...a), () => [Float64Array.of(0.2, 0.8), 1], -1, []],
  ['confidenceWeight', (a) => T.confidenceWeight(...a), () => [Float64Array.of(0.2, 0.8), 'paper'], -1, []],
  ['structureDamageScore', (a) => T.structureDamageScore(...a), () => [Float64Array.of(0.2, 0.8), Float64Array.of(0.5, 0.5), { confidence: 'code' }], 2, ['confidence', 'lambda']],
  ['randomStructurePerturbation', (a) => T.randomStructurePerturbation(...a), () => [image(), 1, 8, 8, { seed: 3, probability: 1 }], 4, ['seed', 'probability', 'inPlaceErasing', 'uniform']],
  ['gaussianBlur', (a) => T.gaussianBlur(...a), () => [image(), 8, 8, 1.5], -1, []],
  ['grayscale', (a) => T.grayscale(...a), () => [image(), 8, 8], -1, []],
  ['colorJitter', (a) => T.colorJitter(...a), () => [image(), 8, 8, { order: ['hue', 'contrast', 'brightness', 'saturation'], brightness: 0.3, contrast: 0.4, saturation: 0.3, hue: 0.1 }], 3, ['order', 'brightness', 'contrast', 'saturation', 'hue']],
  ['randomErasing', (a) => T.randomErasing(...a), () => [image(), 8, 8, () => 0.5], -1, []],
  ['marginLogits', (a) => tf.tidy(() => T.marginLogits(...a)), () => [tf.tensor2d(f32(8), [2, 4]), tf.tensor2d(f32(12), [3, 4]), tf.tensor1d([0, 2], 'int32'), { kind: 'arcface' }], 3, ['kind', 'scale', 'margin', 'm1', 'm2', 'm3']],
  ['classCentres', (a) => tf.dispose(T.classCentres(...a)), () => [3, 4, 1], -1, []],
  ['cosines', (a) => tf.tidy(() => T.cosines(...a)), () => [tf.tensor2d(f32(8), [2, 4]), tf.tensor2d(f32(12), [3, 4])], -1, []],
  ['syntheticFaceDataset', (a) => T.syntheticFaceDataset(...a).train.batch(Int32Array.of(0)), () => [{ trainIdentities: 2, testIdentities: 2, samplesPerIdentity: 2, imageSize: 16, seed: 5 }], 0,
    ['trainIdentities', 'testIdentities', 'samplesPerIdentity', 'testSamplesPerIdentity', 'imageSize', 'hardness', 'seed', 'cacheBytes']],
  ['renderFace', (a) => T.renderFace(...a), () => [faceIdentity(1, 0), 7, { imageSize: 16 }], 2, ['imageSize', 'hardness']],
  ['verificationPairs', (a) => T.verificationPairs(...a), () => [faces().test, { pairs: 20, seed: 1 }], 1, ['pairs', 'seed', 'folds']],
  ['verificationAccuracy', (a) => T.verificationAccuracy(...a), () => [f32(40), f32(40, 2), Array.from({ length: 20 }, (_, k) => k % 2 === 0), { dim: 2 }], 3, ['dim', 'folds']],
  ['flipSumNormalize', (a) => T.flipSumNormalize(...a), () => [f32(8), f32(8, 3), 4, 2], -1, []],
  ['rocCurve', (a) => T.rocCurve(...a), () => [[1, 0, 1, 0], [0.9, 0.1, 0.8, 0.3]], -1, []],
  ['tarAtFar', (a) => T.tarAtFar(...a), () => [{ fpr: [0, 0.5, 1], tpr: [0, 0.8, 1] }, [0.1]], -1, []],
  ['auc', (a) => T.auc(...a), () => [[0, 0.5, 1], [0, 0.8, 1]], -1, []],
  ['resolveConfig', (a) => T.resolveConfig(...a), () => [{}, { lr: 0.05 }], 1, ['lr', 'name', 'depth', 'outDir', 'maxSteps']],
  ['iresnet', (a) => T.iresnet(...a).dispose(), () => [{ depth: 18, inputSize: 16, widthMultiplier: 0.05, embeddingSize: 4 }], 0, ['depth', 'inputSize', 'widthMultiplier', 'embeddingSize', 'dropout', 'seed']],
  ['mobileFaceNet', (a) => T.mobileFaceNet(...a).dispose(), () => [{ inputSize: 16, embeddingSize: 4, scale: 1, blocks: [1, 1, 1, 1] }], 0, ['inputSize', 'embeddingSize', 'scale', 'blocks']],
  ['evaluatePairs', (a) => T.evaluatePairs(...a), () => [tinyModel(), faces().test, T.verificationPairs(faces().test, { pairs: 20, seed: 1 })], -1, []],
  ['fileLoader', async (a) => T.fileLoader(...a).load(), () => ['/nonexistent/model'], -1, []],
  ['capabilities', (a) => T.capabilities(...a), () => [], -1, []],
  ['registerNativeKernels', (a) => { T.registerNativeKernels(...a); T.unregisterNativeKernels(); }, () => [{}], 0, ['retainFreedMemory', 'threads']],
  ['useBackend', (a) => T.useBackend(...a), () => ['cpu', {}], 1, ['nativeKernels']],
];

export default {
  make(rng) {
    const [name, call, valid, optionsAt, keys] = rng.pick(ENTRIES);
    const args = valid();
    const value = hostileValue(rng);
    const where = rng.int(0, 2);
    let what;
    if (where === 0 && keys.length > 0 && optionsAt >= 0) {
      const key = rng.pick(keys);
      args[optionsAt] = { ...args[optionsAt], [key]: value };
      what = `options.${key}`;
    } else if (where === 1 && optionsAt >= 0) {
      args[optionsAt] = value;
      what = 'options';
    } else {
      const at = rng.int(0, Math.max(args.length - 1, 0));
      args[at] = value;
      what = `argument ${at + 1}`;
    }
    return {
      label: `${name}: ${what} = ${show(value)}`,
      async run() {
        await call(args);
      },
    };
  },
};
