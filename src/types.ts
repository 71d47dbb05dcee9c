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
  /** The JPEG decoder of the codec and the loader: the system's libjpeg-turbo (opened at run time)
   *  or sharp, and why (TOPOFR_JPEG, the library's version or its loading error). */
  jpeg: { decoder: 'libjpeg-turbo' | 'sharp'; detail: string };
}

/** Ripser's compressed lower-triangular matrix: row i holds d(i,0) … d(i,i−1); n(n−1)/2 values. */
export interface LowerDistanceMatrix {
  lower: Float32Array;
  n: number;
}

/** Sparse distances: edges (i[k], j[k]) of length d[k] on n vertices; absent pairs are not edges. */
export interface SparseDistances {
  n: number;
  i: Int32Array;
  j: Int32Array;
  d: Float32Array;
}

export type RipsInput = PointCloud | DistanceMatrix | LowerDistanceMatrix | SparseDistances;

/** The intervals of one dimension, in the engine's order (zero-length intervals are left out). */
export interface Barcode {
  dim: number;
  births: Float32Array;
  /** Infinity for an essential class. */
  deaths: Float32Array;
  /** 2 per interval: the vertex pair (u < v) whose distance is the birth; −1, −1 in dimension 0. */
  birthEdges: Int32Array;
  /** 2 per interval: the vertex pair whose distance is the death; −1, −1 when essential. */
  deathEdges: Int32Array;
}
