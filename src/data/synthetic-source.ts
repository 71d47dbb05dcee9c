// The embedded synthetic identities as a FaceSource: a split's rendered images (cached as bytes by
// the split) and its labels. Read in the calling thread: the render cache lives there.
import type { FaceSplit } from './dataset.js';
import { checkSample, type FaceSource } from './source.js';

export function syntheticSource(split: FaceSplit): FaceSource {
  const source: FaceSource = {
    format: 'synthetic',
    path: `synthetic ${split.name} split`,
    size: split.size,
    classes: split.identityCount,
    skippedAtOpen: [],
    read: async (i) => {
      checkSample(source, i);
      return { image: { data: split.imageBytes(i), width: split.imageSize, height: split.imageSize }, label: split.labels[i]! };
    },
    close: () => {},
  };
  return source;
}
