// Choosing the tfjs backend for training and evaluation: 'cpu' (tfjs's pure-JS backend, with
// topofr's native kernels registered unless asked not to) or 'tensorflow' (@tensorflow/tfjs-node
// or -gpu, when the user has installed it: topofr never depends on it, because its install
// downloads libtensorflow).
import * as tf from '@tensorflow/tfjs';
import { TopofrError, TopofrRangeError } from '../errors.js';
import { registerNativeKernels, unregisterNativeKernels } from './native-kernels.js';
import { describeValue, optionsArg } from '../util/check.js';
import { BACKENDS, type BackendName } from './backend-names.js';

export { BACKENDS, type BackendName };

export interface BackendChoice {
  backend: BackendName;
  /** Whether topofr's native kernels are registered (cpu only). */
  nativeKernels: boolean;
  /** The package that provides the backend. */
  provider: string;
}

/** The tfjs-node packages that register the 'tensorflow' backend, GPU build first. */
const TFJS_NODE = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'];

async function loadTfjsNode(): Promise<string> {
  for (const name of TFJS_NODE) {
    try {
      await import(name);  // registers the 'tensorflow' backend on import
      return name;
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') continue;
      throw new TopofrError('ERR_TOPOFR_UNSUPPORTED', `${name} is installed but failed to load: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  throw new TopofrError('ERR_TOPOFR_UNSUPPORTED',
    "backend 'tensorflow' needs @tensorflow/tfjs-node (CPU) or @tensorflow/tfjs-node-gpu (CUDA 11.2) installed next to topofr " +
    "(npm install @tensorflow/tfjs-node@4.22.0); it is not a dependency because its install downloads libtensorflow. " +
    "Without it use --backend cpu (tfjs with topofr's native kernels).");
}

/** Makes `name` the active tfjs backend; for 'cpu', registers the native kernels unless nativeKernels is false. */
export async function useBackend(name: string = 'cpu', given: { nativeKernels?: boolean } = {}): Promise<BackendChoice> {
  const options = optionsArg<{ nativeKernels?: boolean }>(given, 'useBackend');
  if (!(BACKENDS as readonly string[]).includes(name))
    throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', `unknown backend ${describeValue(name)}: use ${BACKENDS.map((b) => `'${b}'`).join(' or ')}`);
  if (name === 'tensorflow') {
    const provider = await loadTfjsNode();
    if (!tf.findBackendFactory('tensorflow'))
      throw new TopofrError('ERR_TOPOFR_UNSUPPORTED',
        `${provider} registered its backend with another copy of @tensorflow/tfjs-core; install it at the version of @tensorflow/tfjs topofr uses (4.22)`);
    if (!(await tf.setBackend('tensorflow')))
      throw new TopofrError('ERR_TOPOFR_UNSUPPORTED',
        `${provider} loaded but the 'tensorflow' backend could not be initialised with this @tensorflow/tfjs (4.22); install matching versions`);
    return { backend: 'tensorflow', nativeKernels: false, provider };
  }
  await tf.setBackend('cpu');
  const nativeKernels = options.nativeKernels !== false;
  if (nativeKernels) registerNativeKernels();
  else unregisterNativeKernels();
  return { backend: 'cpu', nativeKernels, provider: '@tensorflow/tfjs (cpu)' };
}
