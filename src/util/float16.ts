// IEEE 754 binary16 ("half", PyTorch's torch.float16) rounding of float32 values: what a float32
// value becomes when a CUDA kernel stores it into an fp16 tensor (round to nearest, ties to even;
// gradual underflow to the subnormals, multiples of 2⁻²⁴; beyond the largest half 65504 by at least
// half an ulp (≥ 65520), ±Infinity; NaN stays NaN). The result is returned as a JS number, which
// holds every half exactly.
//
// Binary16 has 11 significant bits against float32's 24: on the float32 bit pattern, a normal half
// drops the 13 low mantissa bits with round-to-nearest-even (adding 0x0fff plus the lowest kept bit
// carries into the exponent exactly when rounding goes up a binade); below 2⁻¹⁴ the spacing is the
// fixed 2⁻²⁴, so the value is rounded as an integer count of 2⁻²⁴.

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The largest finite binary16 value. */
export const HALF_MAX = 65504;
/** The smallest positive normal and subnormal binary16 values. */
export const HALF_MIN_NORMAL = 2 ** -14;
export const HALF_MIN_SUBNORMAL = 2 ** -24;

const SIGN = 0x80000000;
const INF_OR_NAN = 0x7f800000;
/** |x| ≥ 65520 = 65504 + half an ulp (a tie, which goes to the even 65536): overflows to ∞. */
const OVERFLOW = 0x477ff000;
/** |x| < 2⁻¹⁴: the half subnormal range. */
const SUBNORMAL = 0x38800000;

/** x rounded to float32 (as a float32 tensor holds it), then to binary16. */
export function roundToHalf(x: number): number {
  f32[0] = x;
  const bits = u32[0]!;
  const abs = bits & 0x7fffffff;
  if (abs >= INF_OR_NAN) return f32[0]!;
  const negative = (bits & SIGN) !== 0;
  if (abs >= OVERFLOW) return negative ? -Infinity : Infinity;
  if (abs < SUBNORMAL) {
    const q = Math.abs(f32[0]!) / HALF_MIN_SUBNORMAL;  // exact: a power-of-two scaling in float64
    let k = Math.floor(q);
    const frac = q - k;
    if (frac > 0.5 || (frac === 0.5 && k % 2 === 1)) k += 1;
    const v = k * HALF_MIN_SUBNORMAL;
    return negative ? -v : v;
  }
  u32[0] = ((abs + 0x0fff + ((abs >>> 13) & 1)) & ~0x1fff) | (bits & SIGN);
  return f32[0]!;
}

/** Every value rounded to binary16, into `out` (a fresh Float32Array by default; may be `values`). */
export function roundArrayToHalf(values: ArrayLike<number>, out: Float32Array = new Float32Array(values.length)): Float32Array {
  for (let i = 0; i < values.length; i++) out[i] = roundToHalf(values[i]!);
  return out;
}
