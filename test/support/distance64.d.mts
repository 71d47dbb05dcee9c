export function distance64(x: Float32Array, dim: number, i: number, j: number, metric: 'euclidean' | 'sqeuclidean' | 'cosine'): number;
