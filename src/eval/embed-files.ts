// Raw embeddings of image files (what `topofr embed` prints): decode, fit to the model's input,
// normalise, one forward pass per batch; no flip, no L2 normalisation.
import { readFile } from 'node:fs/promises';
import { fitSize, placeImage } from '../data/augment.js';
import { decodeImage } from '../data/image-codec.js';
import { TopofrError } from '../errors.js';
import { loadBackbone } from '../model/load-backbone.js';
import { modelEmbedder, modelInputSize } from './embedder.js';

export async function embedFiles(modelPath: string, files: readonly string[], warn: (line: string) => void = () => {}, batchSize = 32):
  Promise<{ file: string; embedding: Float32Array }[]> {
  const model = await loadBackbone(modelPath);
  const size = modelInputSize(model);
  const embed = modelEmbedder(model, batchSize);
  const pixels = size * size * 3;
  const results: { file: string; embedding: Float32Array }[] = [];
  for (let start = 0; start < files.length; start += batchSize) {
    const batch = files.slice(start, start + batchSize);
    const images = new Float32Array(batch.length * pixels);
    await Promise.all(batch.map(async (file, j) => {
      const bytes = await readFile(file).catch((err: Error) => {
        throw new TopofrError('ERR_TOPOFR_INVALID_VALUE', `cannot read ${file}: ${err.message}`);
      });
      const rgb = await fitSize(await decodeImage(bytes, file), size, (from) => warn(`${file} is ${from}, not ${size}×${size}; resized`));
      placeImage(rgb, size, false, images, j * pixels);
    }));
    const out = await embed(images, batch.length, size);
    const dim = out.length / batch.length;
    batch.forEach((file, j) => results.push({ file, embedding: out.slice(j * dim, (j + 1) * dim) }));
  }
  return results;
}
