// The float64 reference distance, in plain JavaScript so that both the vitest suites (through
// oracle.ts) and the fuzz runner (test/fuzz/, plain ESM) use this one definition.

/** d(i, j) in float64 from float32 coordinates (cosine as ½|x/|x| − y/|y||² = 1 − cos: no
 *  cancellation for nearly parallel vectors). */
export function distance64(x, dim, i, j, metric) {
  let ni = 0;
  let nj = 0;
  for (let k = 0; k < dim; k++) {
    ni += x[i * dim + k] ** 2;
    nj += x[j * dim + k] ** 2;
  }
  const sa = metric === 'cosine' ? 1 / Math.sqrt(ni) : 1;
  const sb = metric === 'cosine' ? 1 / Math.sqrt(nj) : 1;
  let s = 0;
  for (let k = 0; k < dim; k++) s += (x[i * dim + k] * sa - x[j * dim + k] * sb) ** 2;
  return metric === 'sqeuclidean' ? s : metric === 'euclidean' ? Math.sqrt(s) : s / 2;
}
