// The learning-rate schedule of arcface_torch's PolyScheduler (TOPOFR.md §1.8): power 2, optional
// linear warm-up. The official scheduler is stepped after each update and its first value is
// repeated (u′ = completed steps − 1), so updates 0 and 1 both use the base rate; kept here.

/** The learning rate of update `k` (0-based) out of `total`, after `warmup` warm-up updates. */
export function polyLearningRate(k: number, total: number, base: number, warmup = 0, power = 2): number {
  if (k < warmup) return (base * (k + 1)) / warmup;
  const u = Math.max(0, k - 1 - warmup);
  const span = Math.max(1, total - warmup);
  return base * Math.max(0, 1 - u / span) ** power;
}
