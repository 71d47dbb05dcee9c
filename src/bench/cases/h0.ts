// h0-NxD: persistenceH0 from points on the CPU (distances + MST pairing), against Ripser's H0 and
// scipy's cdist + minimum_spanning_tree on the same points.
import { readBinary } from '../data.js';
import { ripserAnchor, scipyAnchor } from '../anchors.js';
import type { CaseFamily, Derived } from '../types.js';
import type { H0Result } from '../../types.js';

export const h0Family: CaseFamily = {
  async prepare(spec, file) {
    const points = readBinary(file, spec.n, spec.dim);
    const { persistenceH0 } = await import('../../index.js');
    const call = (): H0Result => persistenceH0(points, { device: 'cpu' });
    return {
      run: () => void call(),
      facts: () => {
        const { deaths, edges } = call();
        if (deaths.length !== points.n - 1 || edges.length !== 2 * (points.n - 1)) {
          throw new Error(`persistenceH0 returned ${deaths.length} deaths for n = ${points.n}`);
        }
        // The MST weight is unique even when the tree is not: the cross-check with scipy.
        let weight = 0;
        for (const d of deaths) weight += d;
        return { mst_weight: weight };
      },
    };
  },
  // Ripser first: it is DESIGN.md §6's anchor for this case; scipy is the fallback headline.
  anchors: async (spec, files, runs) => [
    ripserAnchor(['--dim', '0', '--format', 'point-cloud', await files.text()], runs),
    scipyAnchor('h0', files.input, spec.n, spec.dim, runs),
  ],
  derive(_spec, report, anchors): Derived {
    const ours = report.facts.mst_weight;
    const theirs = anchors.find((a) => a.facts?.mst_weight !== undefined)?.facts?.mst_weight;
    if (theirs === undefined) return { fields: {}, note: `MST weight ${ours.toFixed(2)}` };
    const rel = Math.abs(ours - theirs) / theirs;
    return {
      fields: { mst_weight_rel_diff: rel },
      note: `MST weight ${ours.toFixed(2)} (rel. diff. to scipy ${rel.toExponential(1)})`,
    };
  },
};
