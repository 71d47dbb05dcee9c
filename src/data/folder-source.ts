// A folder per identity (the layout of most face sets before packing, and `topofr pack`'s input):
//
//   ROOT/<identity>/<image>.jpg|.jpeg|.png|.webp
//
// Identities are the subfolders that hold at least one image, sorted by name (byte order, so the
// labels are the same on every machine); images within one are sorted the same way. Label k is
// the k-th identity. Files with other extensions and hidden entries are ignored.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkSample, type EncodedSample, type FaceSample, type FaceSource } from './source.js';
import { TopofrRangeError } from '../errors.js';

const IMAGE_FILE = /\.(jpe?g|png|webp)$/i;

export interface FolderListing {
  /** Identity folder names, label order. */
  identities: string[];
  /** Image paths relative to the root, and their labels, identity by identity. */
  files: string[];
  labels: Int32Array;
}

const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function entries(dir: string): import('node:fs').Dirent[] {
  try {
    return readdirSync(dir, { withFileTypes: true }).filter((e) => !e.name.startsWith('.')).sort((a, b) => byName(a.name, b.name));
  } catch (err) {
    throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', `${dir}: cannot list (${(err as Error).message})`);
  }
}

/** The identities and images of ROOT. */
export function listFolder(root: string): FolderListing {
  const identities: string[] = [];
  const files: string[] = [];
  const labels: number[] = [];
  for (const dir of entries(root)) {
    if (!dir.isDirectory()) continue;
    const images = entries(join(root, dir.name)).filter((e) => e.isFile() && IMAGE_FILE.test(e.name));
    if (images.length === 0) continue;
    for (const image of images) {
      files.push(join(dir.name, image.name));
      labels.push(identities.length);
    }
    identities.push(dir.name);
  }
  if (files.length === 0)
    throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', `${root}: no images found (expected ${join(root, '<identity>', '<image>.jpg')}, one subfolder per identity)`);
  return { identities, files, labels: Int32Array.from(labels) };
}

export class FolderSource implements FaceSource {
  readonly format = 'folder';
  readonly spec;
  readonly skippedAtOpen: readonly string[] = [];

  constructor(readonly path: string, private readonly listing: FolderListing) {
    this.spec = { kind: 'folder' as const, root: path };
  }

  get size(): number {
    return this.listing.files.length;
  }

  get classes(): number {
    return this.listing.identities.length;
  }

  async read(i: number): Promise<FaceSample> {
    const { bytes, label, origin } = this.readEncoded(i);
    const { decodeImage } = await import('./image-codec.js'); // not at load: `pack` lists folders without libvips
    return { image: await decodeImage(bytes, origin), label };
  }

  readEncoded(i: number): EncodedSample {
    checkSample(this, i);
    const file = join(this.path, this.listing.files[i]!);
    try {
      return { bytes: readFileSync(file), label: this.listing.labels[i]!, origin: file };
    } catch (err) {
      throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', `${file}: cannot read (${(err as Error).message})`);
    }
  }

  close(): void {}
}

export function openFolder(root: string): FolderSource {
  return new FolderSource(root, listFolder(root));
}
