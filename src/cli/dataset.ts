// `topofr dataset PATH [--json]`: what a training set holds: its format, images and classes
// (a .rec with its .idx, a folder holding train.rec, or a folder per identity).
import type { Command } from 'commander';
import type { RecordIOSource } from '../data/recordio-source.js';

export function registerDataset(program: Command): void {
  program
    .command('dataset')
    .description('inspect a training set: a .rec (+ .idx), a folder holding train.rec, or a folder per identity')
    .argument('<path>', 'the .rec, its folder, or the image folder')
    .option('--json', 'one JSON object { format, images, classes }')
    .option('--skip-bad-images', 'leave out broken .idx entries (counted) instead of stopping')
    .action(async (path: string, flags: { json?: boolean; skipBadImages?: boolean }) => {
      const { openDataset } = await import('../data/source.js');
      const source = await openDataset(path, { skipBadImages: flags.skipBadImages === true });
      try {
        const facts = { format: source.format, images: source.size, classes: source.classes };
        if (flags.json) {
          process.stdout.write(`${JSON.stringify(facts)}\n`);
          return;
        }
        const { layout, classesFrom } = (source as RecordIOSource).layout ?? {};
        const detail = layout ? ` (${layout} layout; classes from the ${classesFrom})` : '';
        process.stdout.write(`${source.path}: ${facts.format}, ${facts.images} images, ${facts.classes} classes${detail}\n`);
        for (const message of source.skippedAtOpen) process.stderr.write(`topofr: skipped ${message}\n`);
      } finally {
        source.close();
      }
    });
}
