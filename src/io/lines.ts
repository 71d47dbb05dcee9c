// Reads a text file line by line in fixed-size chunks, so files of any size (IJB-C's 15.6 million
// template pairs) never sit in memory as one string. Lines end with \n (a trailing \r is dropped);
// numbering starts at 1, as editors and error messages count.
import { closeSync, openSync, readSync } from 'node:fs';
import { TopofrError } from '../errors.js';

const CHUNK = 1 << 20;

export function forEachLine(path: string, onLine: (line: string, lineNumber: number) => void): void {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    throw new TopofrError('ERR_TOPOFR_INVALID_VALUE', `cannot read ${path}: ${(err as Error).message}`);
  }
  const decoder = new TextDecoder('utf-8');
  const buffer = new Uint8Array(CHUNK);
  let rest = '';
  let lineNumber = 0;
  const emit = (line: string) => onLine(line.endsWith('\r') ? line.slice(0, -1) : line, ++lineNumber);
  try {
    for (;;) {
      const n = readSync(fd, buffer, 0, CHUNK, null);
      const text = rest + decoder.decode(buffer.subarray(0, n), { stream: n > 0 });
      const lines = text.split('\n');
      rest = lines.pop()!;
      for (const line of lines) emit(line);
      if (n === 0) break;
    }
    if (rest.length) emit(rest);
  } finally {
    closeSync(fd);
  }
}
