// `topofr eval --model DIR [settings…]`: the LFW-style 10-fold verification of a saved backbone
// (model.json + weights.bin) on the synthetic test identities. The data settings come from the
// run's config.json next to the model (runs/<name>/config.json) when there is one, flags on top;
// prints accuracy ± std, TAR@FAR and AUC as JSON.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Option, type Command } from 'commander';
import { TopofrRangeError } from '../errors.js';
import { readConfigFile, resolveConfig, type TrainConfig } from '../train/config.js';

const DATA_FIELDS = ['seed', 'testIdentities', 'samplesPerIdentity', 'imageSize', 'hardness', 'verificationPairs', 'backend'] as const;

export function registerEval(program: Command): void {
  const command = program
    .command('eval')
    .description('verification accuracy (10-fold), TAR@FAR and AUC of a saved model on the synthetic test identities')
    .requiredOption('--model <dir>', 'folder with model.json + weights.bin (e.g. runs/demo/model)')
    .option('--config <file>', "the run's settings (default: config.json next to the model folder, if any)")
    .option('--bin <files>', "verification .bin sets, comma-separated (insightface's lfw.bin, cfp_fp.bin, …): 10-fold accuracy, VAL@FAR=1e-3")
    .option('--ijb <root>', 'an IJB-B/C folder (meta/, loose_crop/): TAR@FAR 1e-6 … 1e-1 as eval_ijbc.py')
    .option('--target <name>', 'with --ijb: IJBB or IJBC (default IJBC)')
    .option('--json', 'with --bin or --ijb: one JSON object on stdout')
    .option('--batch-size <n>', 'with --bin or --ijb: images per model call', (v) => Number(v));
  for (const key of DATA_FIELDS) command.addOption(new Option(`--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} <value>`).argParser((v) => (key === 'backend' ? v : Number(v))));
  command.action(async (all: { model: string; config?: string } & import('./eval-files.js').EvalFileFlags & Partial<TrainConfig>) => {
    const { bin, ijb, target, json, batchSize, ...flags } = all;
    if (bin || ijb) {
      const { evalFiles } = await import('./eval-files.js');
      await evalFiles({ model: flags.model, bin, ijb, target, json, batchSize });
      return;
    }
    const [{ quietTfjs }, { useBackend }, { fileLoader }, { loadIResNet }, { syntheticFaceDataset }, { verificationPairs }, { evaluatePairs }] =
      await Promise.all([import('../tf/quiet.js'), import('../tf/backend.js'), import('../model/file-io.js'), import('../model/iresnet.js'),
        import('../data/dataset.js'), import('../data/pairs.js'), import('../eval/evaluate.js')]);
    quietTfjs();
    const { model: modelDir, config: configFile, ...settings } = flags;
    const guess = join(dirname(modelDir.replace(/\/+$/, '')), 'config.json');
    const file = configFile ?? (existsSync(guess) ? guess : undefined);
    const config = resolveConfig(file ? readConfigFile(file) : {}, settings);
    await useBackend(config.backend);
    const model = await loadIResNet(fileLoader(modelDir));
    const size = model.inputs[0]!.shape[1];
    if (size !== config.imageSize) throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', `the model takes ${size}×${size} images but the settings say imageSize ${config.imageSize}; pass --image-size ${size}`);
    const data = syntheticFaceDataset({ trainIdentities: 1, testIdentities: config.testIdentities, samplesPerIdentity: config.samplesPerIdentity,
      imageSize: config.imageSize, hardness: config.hardness, seed: config.seed });
    const pairs = verificationPairs(data.test, { pairs: config.verificationPairs, seed: config.seed });
    const e = evaluatePairs(model, data.test, pairs);
    process.stdout.write(`${JSON.stringify({ accuracy: e.accuracy, accuracyStd: e.accuracyStd, chance: 0.5, tarAtFar: e.tarAtFar, auc: e.auc,
      pairs: pairs.issame.length, model: modelDir, config: file ?? null }, null, 2)}\n`);
  });
}
