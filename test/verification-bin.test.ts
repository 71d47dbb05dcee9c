import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TopofrError } from '../src/errors.js';
import { unpickle } from '../src/data/pickle.js';
import { encodeVerificationBin, parseVerificationBin, readVerificationBin, writeVerificationBin } from '../src/data/verification-bin.js';
import { hasPython3 } from './support/python.js';

const FIXTURES = join(import.meta.dirname, 'fixtures', 'verification-bin');
const manifest = JSON.parse(readFileSync(join(FIXTURES, 'manifest.json'), 'utf8')) as Record<string, { pairs: number; big: boolean }>;
const tmp = mkdtempSync(join(tmpdir(), 'topofr-bin-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** generate.py's payload rule. */
function payload(i: number, big: boolean): Uint8Array {
  const length = big && i === 3 ? 70000 : i % 97 === 5 ? 300 : i % 13 === 0 ? 0 : ((i * 7) % 23) + 1;
  return Uint8Array.from({ length }, (_, k) => (i * 131 + k * 29 + 7) & 255);
}
const issameRule = (k: number) => ((k * 5) % 3 !== 1 ? 1 : 0);

/** The error thrown by f (fails the test when f does not throw). */
function thrown(f: () => unknown): Error {
  try {
    f();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected an error');
}

describe('verification .bin: files pickled by Python', () => {
  for (const [name, { pairs, big }] of Object.entries(manifest)) {
    it(`${name}: ${pairs} pairs, every image byte and label`, () => {
      const file = readFileSync(join(FIXTURES, name));
      const set = parseVerificationBin(file, name);
      expect(set.pairs).toBe(pairs);
      expect(set.images).toHaveLength(2 * pairs);
      set.images.forEach((img, i) => expect(Buffer.from(img).equals(Buffer.from(payload(i, big)))).toBe(true));
      expect(Array.from(set.issame)).toEqual(Array.from({ length: pairs }, (_, k) => issameRule(k)));
      // Zero-copy: byte strings are views of the file (protocol 2 from Python 3 goes through
      // _codecs.encode, which has to transcode).
      if (!name.endsWith('protocol2.bin') || name.startsWith('py2')) for (const img of set.images) expect(img.buffer).toBe(file.buffer);
    });
  }

  it('readVerificationBin reads from disk and names a missing file', () => {
    expect(readVerificationBin(join(FIXTURES, 'py3-protocol4.bin')).pairs).toBe(5);
    const err = thrown(() => readVerificationBin(join(FIXTURES, 'missing.bin')));
    expect(err).toBeInstanceOf(TopofrError);
    expect(err.message).toContain('missing.bin');
  });
});

describe('verification .bin: hostile and broken input', () => {
  for (const protocol of [2, 4]) {
    it(`a pickle that would call os.system (protocol ${protocol}) is refused at the import`, () => {
      const name = `evil-os-system-protocol${protocol}.bin`;
      const err = thrown(() => readVerificationBin(join(FIXTURES, name))) as TopofrError;
      expect(err).toBeInstanceOf(TopofrError);
      expect(err.code).toBe('ERR_TOPOFR_UNSUPPORTED');
      expect(err.message).toMatch(new RegExp(`${name}: byte \\d+: the pickle imports "posix\\.system"`));
    });
  }

  const stream = (...parts: (number | string)[]) =>
    Buffer.concat(parts.map((p) => (typeof p === 'number' ? Buffer.of(p) : Buffer.from(p, 'latin1'))));
  const cases: [string, Buffer, RegExp][] = [
    ['GLOBAL os.system', stream(0x80, 2, 'cos\nsystem\n', 'U\x02ls', 0x85, 'R.'), /byte 2: the pickle imports "os\.system"/],
    ['GLOBAL builtins.eval', stream(0x80, 2, 'cbuiltins\neval\n.'), /byte 2: the pickle imports "builtins\.eval"/],
    ['STACK_GLOBAL subprocess.call', stream(0x80, 4, 0x8c, 10, 'subprocess', 0x8c, 4, 'call', 0x93, '.'), /byte 20: the pickle imports "subprocess\.call"/],
    ['REDUCE of a non-callable', stream(0x80, 2, ']', ')', 'R.'), /byte 4: REDUCE of a list/],
    ['INST', stream(0x80, 2, 'ios\nsystem\n.'), /byte 2: INST \(0x69\) is not allowed/],
    ['OBJ', stream(0x80, 2, '(o.'), /byte 3: OBJ \(0x6f\) is not allowed/],
    ['NEWOBJ', stream(0x80, 2, ']', ')', 0x81, '.'), /byte 4: NEWOBJ \(0x81\) is not allowed/],
    ['BINPERSID', stream(0x80, 2, 'N', 'Q.'), /byte 3: BINPERSID \(0x51\) is not allowed/],
    ['EXT1', stream(0x80, 2, 0x82, 1, '.'), /byte 2: EXT1 \(0x82\) is not allowed/],
    ['SETITEMS (a dict)', stream(0x80, 2, '}(NNu.'), /byte 2: EMPTY_DICT \(0x7d\) is not allowed/],
    ['an unknown opcode', stream(0x80, 2, 0xff), /byte 2: unknown opcode \(0xff\) is not allowed/],
    ['BUILD on a list', stream(0x80, 2, ']', ']', 'b.'), /byte 4: BUILD of a list/],
    ['numpy dtype other than u1/b1', stream(0x80, 2, 'cnumpy\ndtype\n', 'X\x02\x00\x00\x00f8', 0x89, 0x88, 0x87, 'R.'), /numpy\.dtype\("f8", false, true\): expected/],
    ['_codecs.encode with another codec', stream(0x80, 2, 'c_codecs\nencode\n', 'X\x01\x00\x00\x00a', 'X\x05\x00\x00\x00utf-8', 0x86, 'R.'), /_codecs\.encode\("a", "utf-8"\): expected/],
    ['protocol 6', stream(0x80, 6, '.'), /byte 0: pickle protocol 6/],
    ['a truncated BINSTRING', stream(0x80, 2, 'T', 0xff, 0xff, 0, 0, 'abc'), /byte 2: truncated: BINSTRING \(0x54\) needs 65535 more bytes at byte 7, but the file ends at byte 10/],
    ['a negative BINSTRING length', stream(0x80, 2, 'T', 0xff, 0xff, 0xff, 0xff), /byte 2: BINSTRING with a negative length -1/],
    ['no STOP', stream(0x80, 2, ']'), /byte 3: the pickle ends without STOP/],
    ['APPENDS without MARK', stream(0x80, 2, ']', 'e.'), /byte 3: APPENDS \(0x65\) without a preceding MARK/],
    ['APPEND to bytes', stream(0x80, 2, 'U\x01a', 'N', 'a.'), /byte 6: APPEND \(0x61\) appends to a bytes, not a list/],
    ['BINGET of an unwritten memo entry', stream(0x80, 2, 'h\x05.'), /byte 2: memo entry 5 is read before it is written/],
    ['TUPLE2 on a short stack', stream(0x80, 2, 'N', 0x86, '.'), /byte 3: TUPLE2 \(0x86\) needs 2 items on the stack/],
    ['STOP with two values', stream(0x80, 2, 'NN.'), /byte 4: STOP with 2 values/],
    ['invalid UTF-8 in BINUNICODE', stream(0x80, 2, 'X\x01\x00\x00\x00', 0xff, '.'), /byte 2: a unicode string that is not valid UTF-8/],
    ['FRAME past the end', stream(0x80, 4, 0x95, 100, 0, 0, 0, 0, 0, 0, 0, '.'), /byte 2: FRAME runs past the end/],
  ];
  for (const [title, bytes, message] of cases) {
    it(`${title} → a typed error naming the file and the byte`, () => {
      const err = thrown(() => parseVerificationBin(bytes, 'hostile.bin'));
      expect(err).toBeInstanceOf(TopofrError);
      expect(err.message).toMatch(/^hostile\.bin: /);
      expect(err.message).toMatch(message);
    });
  }

  it('well-formed pickles of the wrong shape are refused with the reason', () => {
    const cases: [Buffer, RegExp][] = [
      [stream(0x80, 2, 'N.'), /the pickle holds None, not a pair/],
      [stream(0x80, 2, 'NN', 0x86, '.'), /its first item is None, not a list of images/],
      [stream(0x80, 2, '](N', 'e]', 0x86, '.'), /image 0 is None, not bytes/],
      [stream(0x80, 2, '](U\x01aU\x01be](K\x01e', 0x86, '.'), /label 0 is a number, not a boolean/],
      [stream(0x80, 2, '](U\x01ae]', 0x88, 'a', 0x86, '.'), /it holds 1 images for 1 labels/],
    ];
    for (const [bytes, message] of cases) {
      const err = thrown(() => parseVerificationBin(bytes, 'shape.bin'));
      expect(err).toBeInstanceOf(TopofrError);
      expect(err.message).toMatch(message);
    }
  });

  it('every truncation of real files is a typed error naming the offset', () => {
    for (const name of ['py2-protocol2.bin', 'numpy1-protocol2.bin', 'numpy2-protocol4.bin', 'numpy1-protocol5.bin']) {
      const file = readFileSync(join(FIXTURES, name));
      const step = Math.max(1, Math.floor(file.length / 400));
      for (let n = 0; n < file.length; n += step) {
        const err = thrown(() => parseVerificationBin(file.subarray(0, n), name));
        expect(err).toBeInstanceOf(TopofrError);
        expect(err.message).toMatch(new RegExp(`^${name.replace('.', '\\.')}: byte \\d+: `));
      }
    }
  });

  it('random byte corruption never escapes as anything but a TopofrError', () => {
    let state = 12345;
    const rand = () => ((state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32);
    for (const name of ['py2-protocol2.bin', 'numpy1-protocol2.bin', 'numpy2-protocol5.bin', 'py3-protocol4.bin']) {
      const original = readFileSync(join(FIXTURES, name));
      for (let trial = 0; trial < 150; trial++) {
        const file = Buffer.from(original);
        for (let k = 0; k < 3; k++) file[Math.floor(rand() * file.length)] = Math.floor(rand() * 256);
        try {
          parseVerificationBin(file, name);
        } catch (err) {
          expect(err).toBeInstanceOf(TopofrError);
        }
      }
    }
  });
});

describe('verification .bin: the writer', () => {
  const images = Array.from({ length: 2002 }, (_, i) => payload(i, false));
  images[7] = payload(3, true); // 70 000 bytes: outside any frame
  const issame = Array.from({ length: 1001 }, (_, k) => issameRule(k));

  it('round-trips through the reader', () => {
    const path = join(tmp, 'custom.bin');
    writeVerificationBin(path, images, issame);
    const set = readVerificationBin(path);
    expect(set.pairs).toBe(1001);
    set.images.forEach((img, i) => expect(Buffer.from(img).equals(Buffer.from(images[i]!))).toBe(true));
    expect(Array.from(set.issame)).toEqual(issame);
    expect(unpickle(encodeVerificationBin([], []), 'empty')).toBeDefined();
  });

  it.skipIf(!hasPython3())('Python reads it back, and writes the same bytes at protocol 4', () => {
    const path = join(tmp, 'for-python.bin');
    writeVerificationBin(path, images, issame);
    const script = [
      'import pickle, sys, hashlib, json',
      'data = open(sys.argv[1], "rb").read()',
      'bins, issame = pickle.loads(data)',
      'print(json.dumps({"n": len(bins), "sha": [hashlib.sha256(b).hexdigest() for b in bins], "issame": issame,',
      '  "same_bytes": pickle.dumps((bins, issame), protocol=4) == data}))',
    ].join('\n');
    const out = JSON.parse(execFileSync('python3', ['-c', script, path], { encoding: 'utf8', maxBuffer: 1 << 26 })) as
      { n: number; sha: string[]; issame: boolean[]; same_bytes: boolean };
    expect(out.n).toBe(2002);
    expect(out.issame).toEqual(issame.map(Boolean));
    expect(out.sha).toEqual(images.map((b) => createHash('sha256').update(b).digest('hex')));
    expect(out.same_bytes).toBe(true);
  });

  it('refuses bad arguments with typed errors', () => {
    expect(() => encodeVerificationBin([new Uint8Array(1)], [true])).toThrow(/1 images for 1 pairs/);
    expect(() => encodeVerificationBin(['x' as unknown as Uint8Array, new Uint8Array(1)], [true])).toThrow(/images must be an array of Uint8Array/);
    expect(() => encodeVerificationBin([new Uint8Array(1), new Uint8Array(1)], [2])).toThrow(/issame\[0\] is 2/);
  });
});
