// tfjs's cpu backend prints a banner recommending tfjs-node on first use; the training commands and
// bench cases say how to use tfjs-node themselves (--backend tensorflow), so they switch tfjs to
// production mode, which silences its warnings (and skips debug-only checks, off by default anyway).
import * as tf from '@tensorflow/tfjs';

export function quietTfjs(): void {
  tf.enableProdMode();
}
