import { Command, InvalidArgumentError } from 'commander';
import { integer, THREADS_OPTION } from './option-parsers.js';
import { runAction, UsageError } from './run-action.js';

interface ExportOptions {
  bundle: string;
  out: string;
  opset: number;
  dynamicBatch?: boolean;
  int8?: boolean;
  calibrateOn: string[];
  calibrationImages?: number;
  threads?: number;
  json?: boolean;
}

const collect = (value: string, previous: string[]) => [...previous, value];

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
    .option(
      '--int8',
      'also write classifier.int8.onnx and segmenter.int8.onnx: statically calibrated int8 QDQ models (int8 ' +
        'per-channel weights, uint8 activations) that ONNX Runtime runs as QLinearConv; needs --calibrate-on. ' +
        'With --out BUNDLE/onnx, predict, evaluate and serve run them by default (--runtime auto)',
    )
    .option(
      '--calibrate-on <path>',
      'int8: films (DICOM, PNG, JPEG; a folder is searched) whose activations set the quantisation ranges; repeatable',
      collect,
      [],
    )
    .option('--calibration-images <n>', 'int8: how many of those films, spread evenly (default 32)', integer(1))
    .option(THREADS_OPTION.flags, THREADS_OPTION.description, THREADS_OPTION.parse)
    .option('--json', 'print the files written as JSON')
    .action(
      runAction(async (opts: ExportOptions) => {
        if (opts.int8 && opts.calibrateOn.length === 0)
          throw new UsageError('--int8 needs --calibrate-on DATA (films to calibrate the activation ranges on)');
        if (!opts.int8 && (opts.calibrateOn.length > 0 || opts.calibrationImages !== undefined))
          throw new UsageError('--calibrate-on and --calibration-images go with --int8');
        const { exportBundle } = await import('../export/export-bundle.js');
        const files = await exportBundle(opts.bundle, opts.out, {
          opset: opts.opset,
          dynamicBatch: Boolean(opts.dynamicBatch),
          int8: opts.int8
            ? {
                data: opts.calibrateOn,
                images: opts.calibrationImages,
                threads: opts.threads,
              }
            : undefined,
        });
        if (opts.json) process.stdout.write(JSON.stringify({ opset: opts.opset, files }) + '\n');
        else
          for (const f of files) {
            const calibration = f.calibration
              ? `, calibrated on ${f.calibration.images} films` +
                (f.calibration.skipped.length ? ` (${f.calibration.skipped.length} unreadable, skipped)` : '')
              : '';
            process.stdout.write(
              `${f.role} ${f.precision}: ${f.file} (${(f.bytes / 1e6).toFixed(1)} MB, opset ${opts.opset}${calibration})\n`,
            );
          }
      }),
    );
}
