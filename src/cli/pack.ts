// `topofr pack DIR --out PREFIX [--shuffle]`: a folder per identity → PREFIX.rec + PREFIX.idx
// (insightface's layout; src/data/pack.ts). Prints what it wrote as JSON.
import type { Command } from 'commander';

export function registerPack(program: Command): void {
  program
    .command('pack')
    .description('pack a folder per identity (DIR/<identity>/<image>.jpg) into PREFIX.rec + PREFIX.idx, insightface\'s RecordIO layout')
    .argument('<dir>', 'one subfolder of images per identity')
    .requiredOption('--out <prefix>', 'output prefix: writes PREFIX.rec and PREFIX.idx (e.g. faces/train)')
    .option('--shuffle', 'images in a seeded random order, without header and identity records (as im2rec --shuffle)')
    .option('--seed <n>', 'seed of --shuffle', (v) => Number(v), 0)
    .option('--quality <q>', 'JPEG quality for images that are not JPEG already', (v) => Number(v), 95)
    .option('--skip-bad-images', 'leave out images that do not decode (counted) instead of stopping')
    .action(async (dir: string, flags: { out: string; shuffle?: boolean; seed: number; quality: number; skipBadImages?: boolean }) => {
      const { packFolder } = await import('../data/pack.js');
      const tty = process.stderr.isTTY;
      const result = await packFolder(dir, flags.out, {
        shuffle: flags.shuffle === true, seed: flags.seed, quality: flags.quality, skipBadImages: flags.skipBadImages === true,
        onProgress: (done, total) => {
          if (tty) process.stderr.write(`\rtopofr: packed ${done}/${total} images\x1b[K${done === total ? '\n' : ''}`);
        },
      });
      for (const message of result.skipped) process.stderr.write(`topofr: skipped ${message}\n`);
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    });
}
