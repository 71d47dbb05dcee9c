// Seeds for the synthetic data: one 32-bit seed for every (dataset, identity, sample, stream), so an
// identity or a sample is reproducible on its own, without replaying a generator from the start
// (mixSeed, src/util/random.ts, makes them; these tags keep the streams apart).

/** Stream tags, so that two uses of one seed never read the same numbers. */
export const STREAM = {
  identity: 0x1d,
  nuisance: 0x5a,
  noise: 0x70,
  shuffle: 0x5f,
  pairs: 0xa1,
} as const;
