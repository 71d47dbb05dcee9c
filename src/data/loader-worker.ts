// A loader worker thread: opens its own copy of the source and loads the blocks it is sent.
import { parentPort, workerData } from 'node:worker_threads';
import { loadBlock, type BlockRequest, type BlockSettings } from './load-block.js';
import { openSource, type FaceSource, type SourceSpec } from './source.js';

const settings = workerData as BlockSettings & { spec: SourceSpec };
const opened: Promise<FaceSource> = openSource(settings.spec);
opened.catch(() => {}); // reported with the first request

parentPort!.on('message', async ({ id, request }: { id: number; request: BlockRequest }) => {
  try {
    const source = await opened;
    const result = await loadBlock(source, request, settings, (warning) => parentPort!.postMessage({ warning }));
    parentPort!.postMessage({ id, result });
  } catch (err) {
    const e = err as Error & { code?: string };
    parentPort!.postMessage({ id, error: { name: e.name, code: e.code, message: e.message } });
  }
});
