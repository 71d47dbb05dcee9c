// Flag values of the CLI: each parser returns the value or throws commander's InvalidArgumentError
// (a usage error: one "topofr: …" line, exit code 2). Untrusted text: test/fuzz covers them.
import { InvalidArgumentError } from 'commander';
import { MAX_MODULUS } from '../ops/rips.js';

/** A count for --dim or --threads: an integer in [least, 2^31 − 1]. */
export function parseCount(value: string, least: number): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n < least || n > 2 ** 31 - 1) throw new InvalidArgumentError(`expected an integer ≥ ${least} (at most 2^31 − 1)`);
  return n;
}

/** A prime modulus, at most the engine's largest (checked first: trial division of a 20-digit
 *  number would take minutes). */
export function parsePrime(value: string): number {
  const p = Number(value);
  let prime = /^\d+$/.test(value.trim()) && p >= 2 && p <= MAX_MODULUS;
  for (let q = 2; prime && q * q <= p; q++) prime = p % q !== 0;
  if (!prime) throw new InvalidArgumentError(`expected a prime ≤ ${MAX_MODULUS} (coefficients in Z/p)`);
  return p;
}

/** Ripser reads --threshold and --ratio as float32 (std::stof) and compares float32 values. */
export function parseFloat32(least: number): (value: string) => number {
  return (value) => {
    const t = Number(value);
    if (value.trim() === '' || !Number.isFinite(t) || t < least) throw new InvalidArgumentError(`expected a finite number ≥ ${least}`);
    const asFloat32 = Math.fround(t);
    if (!Number.isFinite(asFloat32)) throw new InvalidArgumentError('outside the float32 range');
    return asFloat32;
  };
}
