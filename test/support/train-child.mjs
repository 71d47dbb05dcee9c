// Child process for test/checkpoint-crash.test.ts and scripts/robustness-figures.mjs: one training
// run, fresh or resumed, of the config given as JSON. With TOPOFR_CRASH_AFTER_FILE_OPERATION=k it
// kills itself after its k-th file operation (src/io/crash-point.ts); TOPOFR_FILE_OPERATION_LOG=path
// lists the operations.
//   node test/support/train-child.mjs '<config json>' [--resume]
import { tf } from '../../dist/index.js';
import { resolveConfig } from '../../dist/train/config.js';
import { train } from '../../dist/train/trainer.js';

tf.enableProdMode();
const [config, resume] = process.argv.slice(2);
await train(resolveConfig({}, JSON.parse(config)), { resume: resume === '--resume' });
