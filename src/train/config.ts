// Training configuration: defaults < a YAML/JSON file < command-line flags. Every field is checked
// with a message that names it; unknown fields are refused (a typo must not silently train the
// default). Defaults are the embedded demo (synthetic identities, a small IResNet-18) with the
// TopoFR method switches at the official code's values; paper alternatives are one field away.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { DocumentOptions, ParseOptions, SchemaOptions, ToJSOptions } from 'yaml';
import { TopofrError, TopofrRangeError, TopofrTypeError } from '../errors.js';
import { describeValue } from '../util/check.js';
import { printable } from '../util/printable.js';

/** yaml (70-odd modules) is loaded on the first YAML file, not with this module, which every
 *  training command's flag list reads (CLI cold start: src/cli/main.ts). */
const parseYaml = (text: string, options: ParseOptions & DocumentOptions & SchemaOptions & ToJSOptions): unknown =>
  (createRequire(import.meta.url)('yaml') as typeof import('yaml')).parse(text, options);

export interface TrainConfig {
  /** Run name: outputs go to `<outDir>/<name>/`. */
  name: string;
  outDir: string;
  seed: number;
  // data (embedded synthetic identities)
  trainIdentities: number;
  testIdentities: number;
  samplesPerIdentity: number;
  imageSize: number;
  hardness: number;
  verificationPairs: number;
  /** Training images from a RecordIO set (.rec + .idx) or a folder per identity; '' = the synthetic
   *  identities above. The evaluation stays on the synthetic test identities. */
  data: string;
  /** Count and skip corrupt images and broken records of `data` instead of stopping. */
  skipBadImages: boolean;
  /** Threads decoding `data` (0 = the training thread). */
  dataWorkers: number;
  // model
  depth: 18 | 34 | 50 | 100 | 200;
  widthMultiplier: number;
  embeddingSize: number;
  head: 'arcface' | 'cosface' | 'softmax';
  scale: number;
  margin: number;
  /** Freeze the embedding BN's γ at 1 (insightface arcface_torch); TopoFR trains it (TOPOFR.md §1.8). */
  freezeEmbeddingScale: boolean;
  // optimisation
  epochs: number;
  batchSize: number;
  lr: number;
  momentum: number;
  weightDecay: number;
  warmupEpochs: number;
  clipNorm: number;
  // TopoFR switches (TOPOFR.md; code = the official train.py)
  /** Weight α of the topology term; 0 = plain margin softmax. Code 0.1, paper 0.1 (R50) / 0.05 (R100+). */
  alpha: number;
  /** 'code': sorted MST-edge comparison ÷ n (official step); 'symmetric': the paper's Eq. 2. */
  topoVariant: 'code' | 'symmetric';
  /** Latent distances are divided by this (code: 1, its `latent_norm` is never trained; TOPOFR.md §6.2). */
  latentScale: number;
  /** Where the topology loss runs: 'cuda' (dims [0], batch ≤ 1024; docs/cuda.md), 'auto' (the GPU when usable), 'cpu'. */
  topoDevice: 'cpu' | 'cuda' | 'auto';
  /** RSP probability ξ (0 = no perturbation; TopoFR-A aligns the unperturbed batch). */
  rspProbability: number;
  /** The official code erases in place, so the input-space batch carries the erasure too (D3). */
  inPlaceErasing: boolean;
  /** SDE's ω1 = (2 − γ)^λ with γ from the GUM fit in the official code's or the paper's form, or off. */
  omega1: 'code' | 'paper' | 'none';
  /** ω2: the paper's continuous 1 − p_gt, the code's effective 0/1 mask (D8), or off. */
  omega2: 'paper' | 'code' | 'none';
  /** λ of ω1 (code: temp = 1). */
  lambda: number;
  /** 'fp16-autocast': the tensors the official AMP run holds in fp16 are rounded to binary16 where
   *  they feed the losses and SDE (src/train/amp.ts); 'fp32': everything float32. */
  precision: 'fp16-autocast' | 'fp32';
  // run control
  checkpointEvery: number;
  logEvery: number;
  backend: 'cpu' | 'tensorflow';
  progress: boolean;
  /** Stop after this many steps (testing, resume checks); 0 = the whole schedule. */
  maxSteps: number;
  /** Verification `.bin` sets (insightface's lfw.bin, cfp_fp.bin, …), comma-separated, evaluated
   *  every `valEvery` steps as the official verification callback; '' = none. */
  val: string;
  /** Steps between two verification callbacks (official: 2000). */
  valEvery: number;
  // data parallelism (docs/distributed.md)
  /** The step's batch as this many gradient shards of batchSize/shards samples (each with its own
   *  topology loss and GUM, as one rank of the official DDP run), gradients summed in shard order.
   *  `--distributed` runs one shard per rank: W ranks are bit-identical to shards = W. */
  shards: number;
  /** Partial FC (distributed): each rank holds a slice of the class centres (insightface partial_fc_v2). */
  partialFc: boolean;
  /** Partial FC: the fraction of each rank's classes in a step's softmax (positives always in). */
  sampleRate: number;
}

export const DEFAULT_CONFIG: Readonly<TrainConfig> = {
  name: 'demo',
  outDir: 'runs',
  seed: 2048,
  trainIdentities: 200,
  testIdentities: 100,
  samplesPerIdentity: 16,
  imageSize: 64,
  hardness: 0.5,
  verificationPairs: 2000,
  data: '',
  skipBadImages: false,
  dataWorkers: 2,
  depth: 18,
  widthMultiplier: 0.25,
  embeddingSize: 128,
  head: 'arcface',
  scale: 64,
  margin: 0.5,
  freezeEmbeddingScale: false,
  epochs: 6,
  batchSize: 64,
  lr: 0.1,
  momentum: 0.9,
  weightDecay: 5e-4,
  warmupEpochs: 0,
  clipNorm: 5,
  alpha: 0.1,
  topoVariant: 'code',
  latentScale: 1,
  topoDevice: 'cpu',
  rspProbability: 0.2,
  inPlaceErasing: false,
  omega1: 'code',
  omega2: 'code',
  lambda: 1,
  precision: 'fp16-autocast',
  checkpointEvery: 200,
  logEvery: 1,
  backend: 'cpu',
  progress: true,
  maxSteps: 0,
  val: '',
  valEvery: 2000,
  shards: 1,
  partialFc: false,
  sampleRate: 1,
};

type Field = keyof TrainConfig;
const CHOICES: Partial<Record<Field, readonly (string | number)[]>> = {
  depth: [18, 34, 50, 100, 200],
  head: ['arcface', 'cosface', 'softmax'],
  topoVariant: ['code', 'symmetric'],
  topoDevice: ['cpu', 'cuda', 'auto'],
  omega1: ['code', 'paper', 'none'],
  omega2: ['paper', 'code', 'none'],
  backend: ['cpu', 'tensorflow'],
  precision: ['fp16-autocast', 'fp32'],
};
const INTEGERS: readonly Field[] = ['seed', 'trainIdentities', 'testIdentities', 'samplesPerIdentity', 'imageSize',
  'verificationPairs', 'dataWorkers', 'embeddingSize', 'epochs', 'batchSize', 'checkpointEvery', 'logEvery', 'maxSteps', 'shards'];
/** [min, max] of numeric fields (inclusive). */
const RANGES: Partial<Record<Field, [number, number]>> = {
  trainIdentities: [2, 1e6], testIdentities: [2, 1e6], samplesPerIdentity: [2, 1e5], imageSize: [16, 512],
  hardness: [0, 1], verificationPairs: [20, 1e7], widthMultiplier: [0.01, 4], embeddingSize: [2, 4096],
  scale: [1e-3, 1e3], margin: [0, 1.5], epochs: [1, 1e4], batchSize: [2, 4096], lr: [0, 10], momentum: [0, 0.999],
  weightDecay: [0, 1], warmupEpochs: [0, 1e4], clipNorm: [0, 1e9], alpha: [0, 1e3], rspProbability: [0, 1],
  lambda: [0, 100], dataWorkers: [0, 64], latentScale: [1e-6, 1e6], checkpointEvery: [1, 1e9], logEvery: [1, 1e9], maxSteps: [0, 1e12], seed: [0, 2 ** 31 - 1],
  shards: [1, 4096], sampleRate: [1e-6, 1],
};

/** A run name is one folder under outDir: not a path, not '.' or '..'. */
const RUN_NAME = /^(?!\.\.?$)[A-Za-z0-9._-]{1,128}$/;

function checkField(key: string, value: unknown, source: string): void {
  // Own keys only: '__proto__', 'constructor' or 'toString' are not settings.
  if (!Object.prototype.hasOwnProperty.call(DEFAULT_CONFIG, key)) {
    throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', `${source}: unknown setting '${printable(key)}' (known: ${Object.keys(DEFAULT_CONFIG).join(', ')})`);
  }
  const field = key as Field;
  const expected = typeof DEFAULT_CONFIG[field];
  if (typeof value !== expected)
    throw new TopofrTypeError('ERR_TOPOFR_INVALID_TYPE', `${source}: '${key}' must be a ${expected}, got ${describeValue(value)}`);
  const choices = CHOICES[field];
  if (choices && !choices.includes(value as string | number))
    throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', `${source}: '${key}' must be one of ${choices.join(', ')}, got ${describeValue(value)}`);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', `${source}: '${key}' must be finite, got ${value}`);
    if (INTEGERS.includes(field) && !Number.isInteger(value))
      throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', `${source}: '${key}' must be an integer, got ${value}`);
    const range = RANGES[field];
    if (range && (value < range[0] || value > range[1]))
      throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', `${source}: '${key}' must be in [${range[0]}, ${range[1]}], got ${value}`);
  }
  if (field === 'name' && !RUN_NAME.test(value as string))
    throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE',
      `${source}: 'name' is the run's folder under outDir: 1 to 128 letters, digits, '.', '_' and '-', not '.' or '..'; got ${describeValue(value)}`);
  if (field === 'outDir' && (value as string).length === 0)
    throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', `${source}: 'outDir' must not be empty (use '.' for the current folder)`);
  if (field === 'valEvery' && !(Number.isInteger(value) && (value as number) >= 1))
    throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', `${source}: 'valEvery' must be an integer ≥ 1, got ${describeValue(value)}`);
}

/** Checks a partial config from `source` (a file name, 'flags'), field by field. */
export function checkPartial(partial: Record<string, unknown>, source: string): Partial<TrainConfig> {
  if (typeof partial !== 'object' || partial === null || Array.isArray(partial))
    throw new TopofrTypeError('ERR_TOPOFR_INVALID_TYPE', `${source}: a config must be a mapping of settings`);
  for (const [key, value] of Object.entries(partial)) if (value !== undefined) checkField(key, value, source);
  return Object.fromEntries(Object.entries(partial).filter(([, v]) => v !== undefined)) as Partial<TrainConfig>;
}

/** Reads a YAML (.yaml/.yml) or JSON config file. */
export function readConfigFile(path: string): Partial<TrainConfig> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new TopofrError('ERR_TOPOFR_IO', `config file ${printable(path)}: ${printable((err as Error).message)}`);
  }
  let parsed: unknown;
  try {
    // logLevel 'error': YAML's warnings would print the file's text (control bytes included) to stderr.
    parsed = /\.ya?ml$/i.test(path) ? parseYaml(text, { logLevel: 'error' }) : JSON.parse(text);
  } catch (err) {
    throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', `config file ${printable(path)} does not parse: ${printable(String((err as Error).message).split('\n')[0]!)}`);
  }
  return checkPartial((parsed ?? {}) as Record<string, unknown>, path);
}

/** defaults < file < flags, then the cross-field checks. */
export function resolveConfig(file: Partial<TrainConfig> = {}, flags: Partial<TrainConfig> = {}): TrainConfig {
  const config = { ...DEFAULT_CONFIG, ...checkPartial(file, 'config file'), ...checkPartial(flags, 'flags') };
  // Real face sets are aligned 112×112 crops: train at that size unless told otherwise.
  if (config.data !== '' && file.imageSize === undefined && flags.imageSize === undefined) config.imageSize = 112;
  if (config.data === '' && config.batchSize > config.trainIdentities * config.samplesPerIdentity)
    throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', `batchSize ${config.batchSize} is larger than the training set (${config.trainIdentities * config.samplesPerIdentity} images)`);
  if (config.batchSize % config.shards !== 0 || config.batchSize / config.shards < 2)
    throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', `batchSize ${config.batchSize} must split into ${config.shards} shards (ranks) of at least 2 samples each`);
  return config;
}
