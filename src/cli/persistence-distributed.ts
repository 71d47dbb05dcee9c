// `mpirun -np W topofr persistence FILE --format point-cloud --dim 0 --distributed`: H0 of a point
// cloud computed by W ranks (world.persistenceH0: rows sharded, Borůvka minima reduced across
// ranks), printed by rank 0 in Ripser's dimension-0 format or as JSON. Every rank reads the file.
// Distances are topofr's (PointDistances, as persistenceH0), not Ripser's own float sums, and the
// header has only the point-cloud line: the value range and the enclosing radius would need every
// distance.
import { readFile } from 'node:fs/promises';
import { TopofrError } from '../errors.js';
import { parseRipserInput } from '../io/ripser-input.js';
import { formatJson, formatRipserText, pointCloudLine, ripserIntervals, type PersistenceReport } from '../io/ripser-output.js';
import { runDistributed } from '../distributed/faults.js';
import { mpiWorld } from '../distributed/world.js';
import type { H0Result, Metric } from '../types.js';

export interface DistributedPersistenceFlags {
  format: string;
  dim: number;
  ratio?: number;
  json?: boolean;
  metric?: Metric;
  threads?: number;
}

/** H0 as Ripser prints dimension 0: a Barcode of the n − 1 deaths and one essential class. */
export function h0Report(h0: H0Result, n: number, dim: number, ratio = 1): PersistenceReport {
  const m = h0.deaths.length + (n > 0 ? 1 : 0);
  const deaths = new Float32Array(m).fill(Infinity);
  deaths.set(h0.deaths);
  const deathEdges = new Int32Array(2 * m).fill(-1);
  deathEdges.set(h0.edges);
  const barcode = { dim: 0, births: new Float32Array(m), deaths, birthEdges: new Int32Array(2 * m).fill(-1), deathEdges };
  return { n, header: [pointCloudLine(n, dim)], threshold: null, dims: [ripserIntervals(barcode, ratio)] };
}

export async function persistenceDistributed(file: string, flags: DistributedPersistenceFlags): Promise<void> {
  if (flags.dim !== 0 || flags.format !== 'point-cloud')
    throw new TopofrError('ERR_TOPOFR_UNSUPPORTED', `--distributed computes dimension 0 of a point cloud: use --format point-cloud --dim 0 (got --format ${flags.format} --dim ${flags.dim})`);
  const world = mpiWorld();
  await runDistributed(world, async () => {
    let bytes: Uint8Array;
    try {
      bytes = await readFile(file);
    } catch (err) {
      throw new TopofrError('ERR_TOPOFR_INVALID_VALUE', `cannot read ${file}: ${(err as Error).message}`);
    }
    const input = parseRipserInput(bytes, 'point-cloud', file);
    if (input.kind !== 'points') throw new TopofrError('ERR_TOPOFR_INVALID_VALUE', `${file} is not a point cloud`);
    const { cloud } = input;
    const h0 = await world.async.persistenceH0(cloud, { metric: flags.metric, threads: flags.threads });
    if (world.rank !== 0) return;
    const report = h0Report(h0, cloud.n, cloud.dim, flags.ratio);
    process.stdout.write(flags.json ? formatJson(report) : formatRipserText(report));
  });
}
