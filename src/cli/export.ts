// `topofr export --model DIR --onnx FILE`: the backbone as ONNX, the way arcface_torch's
// torch2onnx.py exports it (opset 11, input `data` NCHW with a dynamic batch, the raw embedding out).
import type { Command } from 'commander';

export function registerExport(program: Command): void {
  program
    .command('export')
    .description('export a trained IResNet to ONNX (as arcface_torch torch2onnx.py: opset 11, input data NCHW, dynamic batch)')
    .requiredOption('--model <dir>', 'folder with model.json + weights.bin (e.g. runs/demo/model), or an .onnx file')
    .requiredOption('--onnx <file>', 'the ONNX file to write')
    .action(async (flags: { model: string; onnx: string }) => {
      const { quietTfjs } = await import('../tf/quiet.js');
      quietTfjs();
      const { loadBackbone } = await import('../model/load-backbone.js');
      const { exportOnnx } = await import('../model/onnx/export.js');
      const model = await loadBackbone(flags.model);
      exportOnnx(model, flags.onnx);
      const size = model.inputs[0]!.shape[1];
      process.stdout.write(`${JSON.stringify({ onnx: flags.onnx, input: { name: 'data', shape: ['N', 3, size, size] }, output: { name: 'embedding', shape: ['N', model.outputs[0]!.shape[1]] } })}\n`);
    });
}
