// The public data shapes (DESIGN.md §2).
export type Device = 'cpu' | 'cuda' | 'auto';
export type Metric = 'euclidean' | 'sqeuclidean' | 'cosine';

/** n points in `dim` dimensions, row-major n×dim. */
export interface PointCloud {
  data: Float32Array;
  n: number;
  dim: number;
}

/** A full, symmetric n×n distance matrix, row-major. */
export interface DistanceMatrix {
  data: Float32Array;
  n: number;
}

/** H0 persistence pairing: the MST edges in Kruskal order. */
export interface H0Result {
  /** (n−1)×2 vertex pairs, u < v, in ascending (death, u, v) order. */
  edges: Int32Array;
  /** The n−1 death values (every H0 class is born at 0). */
  deaths: Float32Array;
}

export interface Capabilities {
  cuda: { compiled: boolean; deviceCount: number; name?: string; error?: string };
  threads: number;
  blas: string;
}
