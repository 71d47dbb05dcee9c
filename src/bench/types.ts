// Shapes shared by the bench parent (CLI side), the per-case child process and the anchors.

/** Median/min/max of the timed runs, in milliseconds. */
export interface Timing {
  median_ms: number;
  min_ms: number;
  max_ms: number;
  runs: number;
}

export type Family = 'sgemm' | 'dist' | 'h0' | 'rips' | 'train' | 'topofr' | 'loader' | 'mpi';

/** Where a Rips case's input comes from: a Ripser example file in bench/data, or seeded
 *  clustered unit vectors (face-embedding-like: identities × samples). */
export type RipsSource =
  | { file: string; format: 'lower-distance' | 'point-cloud' }
  | { identities: number; perIdentity: number; noise: number };

export interface RipsCase {
  source: RipsSource;
  maxDim: number;
  /** Absent: the default, the enclosing radius. */
  threshold?: number;
}

/** One registered case: a family applied to one input (seeded Gaussian points unless `rips`
 *  says otherwise). */
export interface CaseSpec {
  name: string;
  family: Family;
  /** Points, and their dimension (0 for a distance matrix). */
  n: number;
  dim: number;
  /** Part of the `--quick` smoke set ('both': of the quick and of the full set). */
  quick: boolean | 'both';
  /** A case measured in the same run whose time this one is compared with (dist → sgemm). */
  reference?: string;
  rips?: RipsCase;
  /** At most this many timed runs, ours and the anchor's (cases that take tens of seconds). */
  maxRuns?: number;
  /** At most this many warm-up runs (cases whose one run is slow). */
  maxWarmup?: number;
  /** A training-step case (family 'train'). */
  train?: import('./cases/train.js').TrainCase;
  /** A TopoFR case (family 'topofr'). */
  topofr?: import('./cases/topofr.js').TopofrBench;
  /** A data-loader case (family 'loader'). */
  loader?: import('./cases/loader.js').LoaderBench;
  /** Also time the step on tfjs's own JS cpu kernels, as the anchor. */
  jsAnchor?: boolean;
  /** A distributed case (family 'mpi'), run as `ranks` MPI ranks. */
  mpi?: import('./cases/mpi.js').MpiBench;
  ranks?: number;
}

/** What the case's child process sends back. */
export interface ChildReport extends Timing {
  /** process.resourceUsage().maxRSS of the child at the end: the case's own peak. */
  peak_rss_mb: number;
  /** The same before the addon was loaded: Node's own share of the peak. */
  baseline_rss_mb: number;
  threads: number;
  blas: string;
  /** Facts about the result, used to cross-check it against the anchors (e.g. MST weight). */
  facts: Record<string, number>;
}

/** Built in the child: the closure that is timed, plus facts read off one more, untimed call. */
export interface Prepared {
  run(): void | Promise<void>;
  facts(): Record<string, number>;
}

export interface AnchorResult {
  name: string;
  status: 'ok' | 'failed' | 'unavailable';
  reason?: string;
  median_ms?: number;
  min_ms?: number;
  max_ms?: number;
  runs?: number;
  peak_rss_mb?: number;
  /** Per-phase medians (scipy: cdist and MST). */
  parts_ms?: Record<string, number>;
  facts?: Record<string, number>;
  /** anchor median ÷ ours: the speed-up. */
  ratio?: number;
}

/** The input files a case and its anchors share. */
export interface DataFiles {
  /** What the case's process loads: raw little-endian float32 points, row-major n×dim, or (for a
   *  Ripser example) the Ripser-format file itself. */
  input: string;
  /** The same input in a Ripser format; a point cloud's text is written on first use (it is large). */
  text(): Promise<string>;
}

/** One row of `topofr bench --json` (DESIGN.md §2), plus case-specific fields. */
export interface BenchRow extends Timing {
  case: string;
  peak_rss_mb: number;
  anchor?: { name: string; median_ms: number };
  ratio?: number;
  note: string;
  baseline_rss_mb: number;
  threads: number;
  blas: string;
  /** 1-minute load average when the case started. */
  load_avg_1m: number;
  anchors: AnchorResult[];
  [extra: string]: unknown;
}

/** A case family: the child half (`prepare`) and the parent half (anchors, derived figures). */
export interface CaseFamily {
  /** Runs in the case's own process on the file the parent made (DataFiles.input); imports the
   *  addon lazily so the parent never loads it. */
  prepare(spec: CaseSpec, file: string, variant?: string): Promise<Prepared>;
  /** `quick`: the --quick run (families may skip slow anchors). */
  anchors(spec: CaseSpec, files: DataFiles, runs: number, quick?: boolean): Promise<AnchorResult[]>;
  /** Case-specific fields and the human note; `done` holds the rows measured earlier this run. */
  derive(spec: CaseSpec, report: ChildReport, anchors: AnchorResult[], done: ReadonlyMap<string, BenchRow>): Derived;
}

/** Case-specific row fields (e.g. gflops) and the table's note. */
export interface Derived {
  fields: Record<string, number>;
  note: string;
}
