import { Command, InvalidArgumentError } from 'commander';
import { integer } from './option-parsers.js';
import { runAction } from './run-action.js';

interface ExportOptions {
  bundle: string;
  out: string;
  opset: number;
  dynamicBatch?: boolean;
  json?: boolean;
}

function opsetOption(value: string): number {
  const n = integer(13)(value);
  if (n > 17) throw new InvalidArgumentError(`expected an opset from 13 to 17, got "${value}"`);
  return n;
}

export function exportCommand(): Command {
  return new Command('export')
    .description(
      "Write a bundle's classifier and segmenter as ONNX files (classifier.onnx, segmenter.onnx) with a copy of " +
        'bundle.json beside them, for ONNX Runtime, Triton, OpenVINO and other runtimes. Batch norms are folded into ' +
        'their convolutions; the outputs are probabilities; the input contract (size, normalisation, pixel window) ' +
        "and the thresholds are in each file's metadata (docs/deploy.md).",
    )
    .requiredOption('--bundle <dir>', 'model bundle folder')
    .requiredOption('--out <dir>', 'folder to write the ONNX files into (created if needed)')
    .option('--opset <n>', 'ONNX opset, 13 to 17', opsetOption, 17)
    .option('--dynamic-batch', 'a symbolic batch dimension instead of batch 1')
    .option('--json', 'print the files written as JSON')
    .action(
      runAction(async (opts: ExportOptions) => {
        const { exportBundle } = await import('../export/export-bundle.js');
        const files = await exportBundle(opts.bundle, opts.out, {
          opset: opts.opset,
          dynamicBatch: Boolean(opts.dynamicBatch),
        });
        if (opts.json) process.stdout.write(JSON.stringify({ opset: opts.opset, files }) + '\n');
        else
          for (const f of files)
            process.stdout.write(`${f.role}: ${f.file} (${(f.bytes / 1e6).toFixed(1)} MB, opset ${opts.opset})\n`);
      }),
    );
}
