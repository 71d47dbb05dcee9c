// `node --import ./test/support/module-recorder.mjs …`: writes, at exit, every module the process
// loaded to $TOPOFR_MODULE_LOG, one per line: ES modules (file: URLs, seen by a resolve hook) and
// CommonJS modules and native addons (require.cache paths). For test/cli-cold-start.test.ts.
import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';
import { MessageChannel } from 'node:worker_threads';

const log = process.env.TOPOFR_MODULE_LOG;
if (log) {
  const esm = new Set();
  const { port1, port2 } = new MessageChannel();
  port1.on('message', (url) => esm.add(url));
  port1.unref();
  register('./module-recorder-hooks.mjs', { parentURL: import.meta.url, data: { port: port2 }, transferList: [port2] });
  process.on('exit', () => {
    const cjs = Object.keys(createRequire(import.meta.url).cache);
    appendFileSync(log, [...esm, ...cjs].map((m) => `${m}\n`).join(''));
  });
}
