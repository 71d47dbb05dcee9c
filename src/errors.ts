// Typed errors: the class says what kind of mistake (TypeError: wrong kind of value, RangeError: a
// size or value out of range, TopofrError: a resource or capability problem), `code` says which.
export type TopofrErrorCode =
  | 'ERR_TOPOFR_INVALID_TYPE'
  | 'ERR_TOPOFR_INVALID_SHAPE'
  | 'ERR_TOPOFR_NON_FINITE'
  | 'ERR_TOPOFR_INVALID_VALUE'
  | 'ERR_TOPOFR_TOO_LARGE'
  | 'ERR_TOPOFR_NO_CUDA'
  | 'ERR_TOPOFR_NO_NATIVE'
  | 'ERR_TOPOFR_PARSE'
  | 'ERR_TOPOFR_UNSUPPORTED'
  | 'ERR_TOPOFR_MPI'
  | 'ERR_TOPOFR_NO_MPI'
  | 'ERR_TOPOFR_DISTRIBUTED'
  /** A file or folder cannot be read or written (the message names it and says why). */
  | 'ERR_TOPOFR_IO'
  /** A checkpoint is missing, damaged, or belongs to another configuration. */
  | 'ERR_TOPOFR_CHECKPOINT'
  /** The native code failed in a way no input should cause: a bug, please report it. */
  | 'ERR_TOPOFR_NATIVE';

interface Coded { readonly code: TopofrErrorCode }

export class TopofrError extends Error implements Coded {
  constructor(readonly code: TopofrErrorCode, message: string) {
    super(message);
    this.name = 'TopofrError';
  }
}

export class TopofrTypeError extends TypeError implements Coded {
  constructor(readonly code: TopofrErrorCode, message: string) {
    super(message);
    this.name = 'TopofrTypeError';
  }
}

export class TopofrRangeError extends RangeError implements Coded {
  constructor(readonly code: TopofrErrorCode, message: string) {
    super(message);
    this.name = 'TopofrRangeError';
  }
}
