// The `device` option of every entry point that has a GPU path (distances, H0 from points and from a
// matrix, Rips, the topology loss): 'cuda' without a usable GPU is a clear typed error naming the
// fallback, 'auto' gives the CPU's result, and on a machine with a GPU 'auto' takes it and agrees.
// (Bit-for-bit GPU == CPU comparisons: test/cuda.test.ts on a GPU, test/cuda-emulated.test.ts here.)
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import {
  capabilities, pairwiseDistances, persistenceH0, persistenceH0Async, prepareInputSpace, ripsPersistence, ripsPersistenceSync,
  structureAlignment, topologicalLoss, TopofrError, type Device,
} from '../src/index.js';
import { randomPoints } from './support/oracle.js';

tf.enableProdMode();

const gpu = capabilities().cuda.deviceCount > 0;
const points = { data: randomPoints(40, 6, 3), n: 40, dim: 6 };
const matrix = pairwiseDistances(points);
const x = { data: randomPoints(24, 30, 4), n: 24, dim: 30 };
const z = { data: randomPoints(24, 8, 5), n: 24, dim: 8 };

/** Every GPU-capable entry point, run with one device; results reduced to comparable plain values. */
const ENTRIES: [string, (device: Device) => unknown | Promise<unknown>][] = [
  ['pairwiseDistances', (device) => Array.from(pairwiseDistances(points, { device }).data, (v) => Math.round(v * 1e4))],
  ['persistenceH0 (points)', (device) => Array.from(persistenceH0(points, { device }).edges)],
  ['persistenceH0 (matrix)', (device) => persistenceH0(matrix, { device })],
  ['persistenceH0Async (matrix)', async (device) => persistenceH0Async(matrix, { device })],
  ['ripsPersistenceSync', (device) => ripsPersistenceSync(matrix, { maxDim: 2, device })],
  ['ripsPersistence', async (device) => ripsPersistence(points, { maxDim: 2, device })],
  ['structureAlignment', (device) => {
    const r = structureAlignment(x, z, { device });
    return [Math.round(r.loss * 1e6), Array.from(r.inputEdges), Array.from(r.latentEdges)];
  }],
  ['topologicalLoss', (device) => {
    const loss = topologicalLoss(tf.tensor2d(x.data, [x.n, x.dim]), tf.tensor2d(z.data, [z.n, z.dim]), { device });
    return Math.round(loss.dataSync()[0]! * 1e6);
  }],
];

describe('device option', () => {
  it.skipIf(gpu).each(ENTRIES)("%s: 'cuda' without a usable GPU is ERR_TOPOFR_NO_CUDA", async (_, f) => {
    let error: unknown;
    try {
      await f('cuda');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TopofrError);
    expect((error as TopofrError).code).toBe('ERR_TOPOFR_NO_CUDA');
    expect((error as Error).message).toMatch(/no GPU is usable \(.+\); use device 'auto'/);
  });

  it.each(ENTRIES)("%s: 'auto' agrees with 'cpu'", async (_, f) => {
    expect(await f('auto')).toEqual(await f('cpu'));
  });

  it.skipIf(gpu)("prepareInputSpace needs a GPU", () => {
    expect(() => prepareInputSpace(x)).toThrow(expect.objectContaining({ code: 'ERR_TOPOFR_NO_CUDA' }));
  });

  it.runIf(gpu)("'cuda' refuses what the GPU does not do, with the fallback named", () => {
    const sparse = { n: 3, i: Int32Array.from([0, 1]), j: Int32Array.from([1, 2]), d: Float32Array.from([1, 2]) };
    expect(() => ripsPersistenceSync(sparse, { device: 'cuda' })).toThrow(expect.objectContaining({ code: 'ERR_TOPOFR_UNSUPPORTED' }));
    expect(() => structureAlignment(x, z, { device: 'cuda', variant: 'symmetric', dims: [0, 1] }))
      .toThrow(expect.objectContaining({ code: 'ERR_TOPOFR_UNSUPPORTED' }));
    const big = { data: new Float32Array(1025 * 2), n: 1025, dim: 2 };
    expect(() => structureAlignment(big, big, { device: 'cuda' })).toThrow(expect.objectContaining({ code: 'ERR_TOPOFR_TOO_LARGE' }));
    // 'auto' takes the CPU for them instead.
    expect(() => ripsPersistenceSync(sparse, { device: 'auto' })).not.toThrow();
  });
});
