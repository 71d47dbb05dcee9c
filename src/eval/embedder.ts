// What the evaluations need of a backbone: raw embeddings of a batch of aligned faces.
import * as tf from '@tensorflow/tfjs';

/** Raw embeddings (n × dim, row-major) of n square images given NHWC in [−1, 1] ((x/255 − 0.5)/0.5). */
export type Embedder = (images: Float32Array, n: number, size: number) => Promise<Float32Array> | Float32Array;

/** A tfjs model's inference-mode output (BatchNorm with its moving statistics), `batch` images per
 *  call. */
export function modelEmbedder(model: tf.LayersModel, batch = 64): Embedder {
  return (images, n, size) => {
    const per = size * size * 3;
    const parts: Float32Array[] = [];
    for (let start = 0; start < n; start += batch) {
      const count = Math.min(batch, n - start);
      parts.push(tf.tidy(() => {
        const x = tf.tensor4d(images.subarray(start * per, (start + count) * per), [count, size, size, 3]);
        return (model.predict(x) as tf.Tensor).dataSync() as Float32Array;
      }));
    }
    if (parts.length === 1) return parts[0]!;
    const out = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  };
}

/** The square input side a model expects (its input shape [null, size, size, 3]). */
export function modelInputSize(model: tf.LayersModel): number {
  return model.inputs[0]!.shape[1] as number;
}
