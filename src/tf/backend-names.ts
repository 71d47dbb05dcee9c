// The tfjs backends topofr trains on, by name (src/tf/backend.ts loads them). Apart from tfjs so
// that the CLI can check a --backend flag without loading tfjs.
export const BACKENDS = ['cpu', 'tensorflow'] as const;
export type BackendName = (typeof BACKENDS)[number];
