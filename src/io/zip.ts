// A minimal ZIP reader: the entries of an archive held in memory, by name. Enough for the files
// PyTorch's torch.save writes (stored entries, 64-byte aligned; also deflated ones, as zip tools
// re-pack them). Reads the central directory at the end (after the end-of-central-directory record)
// and each entry's local header for where its data starts. Not supported, with a clear error:
// ZIP64 (archives or entries of 4 GiB and more), encryption, methods other than stored and deflate.
import { inflateRawSync } from 'node:zlib';
import { TopofrError } from '../errors.js';

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const EOCD_SIZE = 22;

const parseError = (source: string, message: string): TopofrError => new TopofrError('ERR_TOPOFR_PARSE', `${source}: ${message}`);

/** Whether the bytes start like a ZIP archive (a local file header). */
export function isZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true) === LOCAL;
}

/** Every file entry of the archive, name → its (decompressed) bytes, in central-directory order. */
export function readZip(bytes: Uint8Array, source = 'zip archive'): Map<string, Uint8Array> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let eocd = -1;
  for (let at = bytes.length - EOCD_SIZE; at >= Math.max(0, bytes.length - EOCD_SIZE - 0xffff); at--) {
    if (view.getUint32(at, true) === EOCD) {
      eocd = at;
      break;
    }
  }
  if (eocd < 0) throw parseError(source, 'not a ZIP archive (no end-of-central-directory record); truncated?');
  const count = view.getUint16(eocd + 10, true);
  const dirOffset = view.getUint32(eocd + 16, true);
  if (count === 0xffff || dirOffset === 0xffffffff) throw parseError(source, 'ZIP64 archives (4 GiB or 65535 entries and more) are not supported');
  const entries = new Map<string, Uint8Array>();
  let at = dirOffset;
  const decoder = new TextDecoder();
  for (let i = 0; i < count; i++) {
    if (at + 46 > bytes.length || view.getUint32(at, true) !== CENTRAL) throw parseError(source, `central directory entry ${i} at offset ${at} is damaged`);
    const flags = view.getUint16(at + 8, true);
    const method = view.getUint16(at + 10, true);
    const compressed = view.getUint32(at + 20, true);
    const size = view.getUint32(at + 24, true);
    const nameLength = view.getUint16(at + 28, true);
    const extraLength = view.getUint16(at + 30, true);
    const commentLength = view.getUint16(at + 32, true);
    const local = view.getUint32(at + 42, true);
    const name = decoder.decode(bytes.subarray(at + 46, at + 46 + nameLength));
    at += 46 + nameLength + extraLength + commentLength;
    if (name.endsWith('/')) continue;  // a directory
    if (compressed === 0xffffffff || size === 0xffffffff || local === 0xffffffff)
      throw parseError(source, `entry ${name} is a ZIP64 entry (4 GiB or more): not supported`);
    if ((flags & 1) !== 0) throw parseError(source, `entry ${name} is encrypted`);
    if (local + 30 > bytes.length || view.getUint32(local, true) !== LOCAL) throw parseError(source, `entry ${name}: local header at offset ${local} is damaged`);
    const start = local + 30 + view.getUint16(local + 26, true) + view.getUint16(local + 28, true);
    if (start + compressed > bytes.length) throw parseError(source, `entry ${name} is truncated (needs bytes ${start}..${start + compressed}, file has ${bytes.length})`);
    const raw = bytes.subarray(start, start + compressed);
    let data: Uint8Array;
    if (method === 0) data = raw;
    else if (method === 8) {
      try {
        data = new Uint8Array(inflateRawSync(raw));
      } catch (err) {
        throw parseError(source, `entry ${name}: deflate data is damaged (${(err as Error).message})`);
      }
    } else throw parseError(source, `entry ${name} uses compression method ${method} (only stored and deflate are supported)`);
    if (data.length !== size) throw parseError(source, `entry ${name}: ${data.length} bytes, the directory says ${size}`);
    entries.set(name, data);
  }
  return entries;
}
