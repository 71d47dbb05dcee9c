// Files that survive a crash: written and forced to disk before anything depends on them, replaced
// by an atomic rename, their folder synced so the new names are on disk too. Each step is one file
// operation for the crash-point test (crash-point.ts).
import { closeSync, fsyncSync, openSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { TopofrError } from '../errors.js';
import { printable } from '../util/printable.js';
import { afterFileOperation } from './crash-point.js';

/** Runs `work` (file operations on behalf of `what`); an operating-system error becomes a
 *  TopofrError ERR_TOPOFR_IO that names what could not be written and why. */
export function writingTo<T>(what: string, work: () => T): T {
  try {
    return work();
  } catch (err) {
    if (typeof (err as NodeJS.ErrnoException)?.syscall !== 'string') throw err;
    throw new TopofrError('ERR_TOPOFR_IO', `cannot write ${printable(what)}: ${printable((err as Error).message)}`);
  }
}

/** Writes `data` to `path` (created or truncated) and forces it to disk. */
export function writeDurably(path: string, data: Uint8Array): void {
  const fd = openSync(path, 'w');
  try {
    for (let at = 0; at < data.byteLength; ) at += writeSync(fd, data, at, data.byteLength - at);
    afterFileOperation(`write ${path}`);
    fsyncSync(fd);
    afterFileOperation(`fsync ${path}`);
  } finally {
    closeSync(fd);
  }
}

/** Forces a folder's entries (new names, renames, removals) to disk. */
export function syncFolder(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } catch (err) {
    // Some platforms cannot fsync a folder (Windows: EPERM/EISDIR); their renames are what they are.
    if (!['EPERM', 'EISDIR', 'EINVAL'].includes((err as NodeJS.ErrnoException).code ?? '')) throw err;
  } finally {
    closeSync(fd);
  }
  afterFileOperation(`fsync ${dir}`);
}

/** Renames `from` to `to` (the same folder `dir`) and syncs the folder: the commit of a replacement. */
export function commitRename(dir: string, from: string, to: string): void {
  renameSync(join(dir, from), join(dir, to));
  afterFileOperation(`rename ${join(dir, to)}`);
  syncFolder(dir);
}

/** Replaces `<dir>/<name>` by `data` atomically: a reader sees the old file or the new one, whole. */
export function replaceFile(dir: string, name: string, data: Uint8Array | string): void {
  writeDurably(join(dir, `${name}.tmp`), typeof data === 'string' ? Buffer.from(data) : data);
  commitRename(dir, `${name}.tmp`, name);
}
