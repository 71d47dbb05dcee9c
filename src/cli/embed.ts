// `topofr embed --model DIR|FILE.onnx IMAGE… [--json]`: the raw backbone output of each image (no
// flip, no normalisation), the images read as RGB, (x/255 − 0.5)/0.5, resized to the model's input
// when they differ (with a warning).
import type { Command } from 'commander';

export function registerEmbed(program: Command): void {
  program
    .command('embed')
    .description('raw embeddings of images (aligned face crops) from a saved model or an ONNX IResNet')
    .argument('<images...>', 'image files (JPEG, PNG, …)')
    .requiredOption('--model <path>', 'folder with model.json + weights.bin, or an .onnx file')
    .option('--json', 'one JSON array [{ "file", "embedding": [...] }] on stdout')
    .action(async (images: string[], flags: { model: string; json?: boolean }) => {
      const { embedFiles } = await import('../eval/embed-files.js');
      const { quietTfjs } = await import('../tf/quiet.js');
      const { useBackend } = await import('../tf/backend.js');
      quietTfjs();
      await useBackend('cpu');
      const results = await embedFiles(flags.model, images, (line) => process.stderr.write(`topofr: ${line}\n`));
      if (flags.json) process.stdout.write(`${JSON.stringify(results.map(({ file, embedding }) => ({ file, embedding: Array.from(embedding) })))}\n`);
      else for (const { file, embedding } of results) process.stdout.write(`${file}\t${Array.from(embedding, (v) => v.toPrecision(8)).join(' ')}\n`);
    });
}
