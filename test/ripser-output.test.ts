import { describe, expect, it } from 'vitest';
import {
  enclosingRadiusLine,
  formatRipserFloat,
  intervalLine,
  intervalsHeaderLine,
  pointCloudLine,
  shortestFloat32,
  sparseMatrixLine,
  valueRangeLine,
} from '../src/io/ripser-output.js';

describe('formatRipserFloat', () => {
  // Expected strings are what `std::cout << float` printed (g++ 12, glibc) for the same literals.
  const cppOutputs: [number, string][] = [
    [0.1, '0.1'],
    [1e6, '1e+06'],
    [1e-5, '1e-05'],
    [123456.7, '123457'],
    [0.00367531, '0.00367531'],
    [1024.125, '1024.12'], // an exact tie rounds half to even
    [1234565, '1.23456e+06'], // exact tie, even
    [999999.5, '1e+06'], // exact tie, odd: rounds up and carries into a new digit
    [9999995, '1e+07'],
    [0.0001, '0.0001'],
    [0.00001234, '1.234e-05'],
    [100000, '100000'],
    [1.97444, '1.97444'],
    [2, '2'],
    [103, '103'],
    [0, '0'],
    [-0, '-0'],
    [-2.5, '-2.5'],
    [3.4028235e38, '3.40282e+38'],
    [1e-40, '9.99995e-41'], // subnormal float32
    [1.5e-45, '1.4013e-45'],
    [0.5, '0.5'],
    [12345.65, '12345.7'],
    [0.000123456789, '0.000123457'],
    [1 / 3, '0.333333'],
    [16777216, '1.67772e+07'],
    [7e-5, '7e-05'],
    [Infinity, 'inf'],
    [-Infinity, '-inf'],
  ];
  it.each(cppOutputs)('%s prints as %s', (value, expected) => {
    expect(formatRipserFloat(value)).toBe(expected);
  });

  it('prints NaN as nan', () => {
    expect(formatRipserFloat(NaN)).toBe('nan');
  });
});

describe('shortestFloat32', () => {
  it('gives the shortest decimal that reads back as the same float32', () => {
    expect(shortestFloat32(Math.fround(0.0448418))).toBe(0.0448418);
    expect(shortestFloat32(Math.fround(0.1))).toBe(0.1);
    expect(shortestFloat32(2)).toBe(2);
    for (const x of [Math.PI, 1e-30, 123456.789, 3.4028235e38]) {
      const short = shortestFloat32(x);
      expect(Math.fround(short)).toBe(Math.fround(x));
    }
  });
});

describe('Ripser header and interval lines', () => {
  it('match Ripser 1.2.1 text', () => {
    expect(pointCloudLine(1024, 9)).toBe('point cloud with 1024 points in dimension 9');
    expect(valueRangeLine(0.00367531, 2)).toBe('value range: [0.00367531,2]');
    expect(valueRangeLine(Infinity, -Infinity)).toBe('value range: [inf,-inf]');
    expect(enclosingRadiusLine(192, 1.97444)).toBe('distance matrix with 192 points, using threshold at enclosing radius 1.97444');
    expect(sparseMatrixLine(16, 50, 127)).toBe('sparse distance matrix with 16 points and 50/127 entries');
    expect(intervalsHeaderLine(0)).toBe('persistence intervals in dim 0:');
    expect(intervalLine(0, 0.0448418)).toBe(' [0,0.0448418)');
    expect(intervalLine(0, Infinity)).toBe(' [0, )');
  });
});
