// The case registry. Full cases follow DESIGN.md §6 (n = 4096, d = 512); the quick ones are the
// same families at n = 1024 for CI smoke runs.
import { sgemmFamily } from './cases/sgemm.js';
import { distancesFamily } from './cases/distances.js';
import { h0Family } from './cases/h0.js';
import type { CaseFamily, CaseSpec, Family } from './types.js';

const FAMILIES: Record<Family, CaseFamily> = { sgemm: sgemmFamily, dist: distancesFamily, h0: h0Family };

function sizes(n: number, dim: number, quick: boolean): CaseSpec[] {
  const sgemm = `sgemm-${n}x${n}x${dim}`;
  return [
    { name: sgemm, family: 'sgemm', n, dim, quick },
    { name: `dist-${n}x${dim}`, family: 'dist', n, dim, quick, reference: sgemm },
    { name: `h0-${n}x${dim}`, family: 'h0', n, dim, quick },
  ];
}

export const CASES: readonly CaseSpec[] = [...sizes(4096, 512, false), ...sizes(1024, 512, true)];

export function findCase(name: string): CaseSpec {
  const spec = CASES.find((c) => c.name === name);
  if (!spec) throw new RangeError(`unknown bench case '${name}' (known: ${CASES.map((c) => c.name).join(', ')})`);
  return spec;
}

export const familyOf = (spec: CaseSpec): CaseFamily => FAMILIES[spec.family];

/** The cases to run, in registry order, with each selected case's reference pulled in: a ratio
 *  to the sgemm ceiling only means something when both are measured on this machine, now. */
export function selectCases(names: readonly string[] | undefined, quick: boolean): CaseSpec[] {
  const wanted = new Set((names ?? CASES.filter((c) => c.quick === quick).map((c) => c.name)).map((n) => findCase(n).name));
  for (const name of [...wanted]) {
    const ref = findCase(name).reference;
    if (ref) wanted.add(ref);
  }
  return CASES.filter((c) => wanted.has(c.name));
}
