// LFW-style verification pairs over a test split: P pairs in 10 contiguous folds of P/10, each fold
// a block of P/20 genuine pairs (same identity) followed by a block of P/20 impostor pairs, as in
// LFW's pairs.txt. insightface's protocol (KFold without shuffling) then reads the folds in order.
// With ≥ 20 identities the folds are also identity-disjoint, as LFW's are: each fold draws from
// its own tenth of the identities.
import { mixSeed, mulberry32 } from '../util/random.js';
import { STREAM } from './seed.js';
import { TopofrRangeError, TopofrTypeError } from '../errors.js';
import { describeValue, isInt32Array, optionsArg } from '../util/check.js';

export const VERIFICATION_FOLDS = 10;

export interface VerificationPairsOptions {
  /** Pairs in all, a multiple of 20; default 6000 (LFW's). */
  pairs?: number;
  seed?: number;
}

export interface VerificationPairs {
  /** Pair k is samples (first[k], second[k]) of the split. */
  readonly first: Int32Array;
  readonly second: Int32Array;
  /** 1 for a genuine pair, 0 for an impostor pair. */
  readonly issame: Uint8Array;
  readonly folds: number;
  readonly foldSize: number;
  /** Whether no identity appears in two folds. */
  readonly identityDisjointFolds: boolean;
}

/** The split's labels (identity of each sample); a FaceSplit is one. */
export interface LabelledSplit {
  readonly labels: Int32Array;
}

/** Deterministic pairs for a split. A pair is not repeated while unused ones are easy to find; in a
 *  split too small for the request, some pairs repeat. */
export function verificationPairs(split: LabelledSplit, given: VerificationPairsOptions = {}): VerificationPairs {
  const fn = 'verificationPairs';
  const { pairs = 6000, seed = 0 } = optionsArg<VerificationPairsOptions>(given, fn);
  if (typeof split !== 'object' || split === null || !isInt32Array(split.labels))
    throw new TopofrTypeError('ERR_TOPOFR_INVALID_TYPE', `${fn}: split must have labels (an Int32Array), like a dataset split; got ${describeValue(split)}`);
  if (!Number.isInteger(pairs) || pairs < 2 * VERIFICATION_FOLDS || pairs % (2 * VERIFICATION_FOLDS) !== 0)
    throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', `${fn}: pairs must be a positive multiple of 20, got ${describeValue(pairs)}`);
  if (!Number.isInteger(seed))
    throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', `${fn}: seed must be an integer, got ${describeValue(seed)}`);

  const samplesOf = new Map<number, number[]>();
  split.labels.forEach((label, i) => {
    const list = samplesOf.get(label);
    if (list) list.push(i);
    else samplesOf.set(label, [i]);
  });
  const uniform = mulberry32(mixSeed(STREAM.pairs, seed));
  const pick = (n: number): number => Math.floor(uniform() * n);
  const identities = shuffle([...samplesOf.keys()].sort((a, b) => a - b), pick);

  // Each fold's identity pool: its own tenth when that leaves every fold a genuine pair and an
  // impostor pair to draw, otherwise all identities.
  const tenths = Array.from({ length: VERIFICATION_FOLDS }, (_, f) => identities.filter((_, k) => k % VERIFICATION_FOLDS === f));
  const usable = (pool: number[]): boolean => pool.length >= 2 && pool.some((id) => samplesOf.get(id)!.length >= 2);
  const disjoint = tenths.every(usable);
  if (!disjoint && !usable(identities))
    throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE',
      `${fn}: the split needs at least 2 identities and one identity with 2 samples, got ${identities.length} identities`);

  const foldSize = pairs / VERIFICATION_FOLDS;
  const half = foldSize / 2;
  const first = new Int32Array(pairs);
  const second = new Int32Array(pairs);
  const issame = new Uint8Array(pairs);
  const used = new Set<number>();
  const n = split.labels.length;
  const key = ([a, b]: [number, number]): number => Math.min(a, b) * n + Math.max(a, b);
  const take = (k: number, draw: () => [number, number]): void => {
    let pair = draw();
    for (let attempt = 0; attempt < 50 && used.has(key(pair)); attempt++) pair = draw();
    used.add(key(pair));
    [first[k], second[k]] = pair;
  };

  for (let f = 0; f < VERIFICATION_FOLDS; f++) {
    const pool = disjoint ? tenths[f] : identities;
    const multi = pool.filter((id) => samplesOf.get(id)!.length >= 2);
    for (let k = 0; k < half; k++) {
      take(f * foldSize + k, () => {
        const samples = samplesOf.get(multi[pick(multi.length)])!;
        const a = pick(samples.length);
        const b = (a + 1 + pick(samples.length - 1)) % samples.length; // any other sample
        return [samples[a], samples[b]];
      });
      issame[f * foldSize + k] = 1;
    }
    for (let k = half; k < foldSize; k++) {
      take(f * foldSize + k, () => {
        const a = pick(pool.length);
        const b = (a + 1 + pick(pool.length - 1)) % pool.length; // any other identity
        const sa = samplesOf.get(pool[a])!;
        const sb = samplesOf.get(pool[b])!;
        return [sa[pick(sa.length)], sb[pick(sb.length)]];
      });
    }
  }
  return { first, second, issame, folds: VERIFICATION_FOLDS, foldSize, identityDisjointFolds: disjoint };
}

function shuffle<T>(items: T[], pick: (n: number) => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = pick(i + 1);
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}
