// Backend choice: cpu with or without the native kernels, 'tensorflow' when tfjs-node is installed
// (a clear error when it is not), unknown names refused.
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { useBackend } from '../src/tf/backend.js';
import { nativeKernelsRegistered, unregisterNativeKernels } from '../src/tf/native-kernels.js';

afterAll(() => unregisterNativeKernels());

const installed = (name: string): boolean => {
  try {
    createRequire(import.meta.url).resolve(name);
    return true;
  } catch {
    return false;
  }
};

describe('useBackend', () => {
  it("'cpu' registers the native kernels, or leaves tfjs's own when asked", async () => {
    expect(await useBackend('cpu')).toEqual({ backend: 'cpu', nativeKernels: true, provider: '@tensorflow/tfjs (cpu)' });
    expect(tf.getBackend()).toBe('cpu');
    expect(nativeKernelsRegistered()).toBe(true);
    await useBackend('cpu', { nativeKernels: false });
    expect(nativeKernelsRegistered()).toBe(false);
  });

  it("'tensorflow' uses tfjs-node when installed, and says how to get it when not", async () => {
    if (installed('@tensorflow/tfjs-node') || installed('@tensorflow/tfjs-node-gpu')) {
      expect((await useBackend('tensorflow')).backend).toBe('tensorflow');
      await useBackend('cpu');
      return;
    }
    await expect(useBackend('tensorflow')).rejects.toMatchObject({ code: 'ERR_TOPOFR_UNSUPPORTED', message: expect.stringContaining('npm install @tensorflow/tfjs-node') });
    expect(tf.getBackend()).toBe('cpu');  // nothing changed
  });

  it('refuses unknown backends', async () => {
    await expect(useBackend('webgpu')).rejects.toMatchObject({ name: 'TopofrRangeError', code: 'ERR_TOPOFR_INVALID_VALUE' });
  });
});
