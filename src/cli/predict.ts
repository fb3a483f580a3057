import { Command } from 'commander';
import { integer } from './option-parsers.js';
import { THREADS_OPTION } from './option-parsers.js';
import { runAction } from './run-action.js';

interface PredictOptions {
  bundle: string;
  out: string;
  tta?: boolean;
  batch: number;
  list: string[];
  threads?: number;
  json?: boolean;
}

const collect = (value: string, previous: string[]) => [...previous, value];

export function predictCommand(): Command {
  return new Command('predict')
    .description(
      'Two-stage prediction: the classifier decides whether each image shows pneumothorax; images at or above ' +
        'its threshold are segmented, and the mask is thresholded per pixel and dropped when smaller than the minimum area.',
    )
    .argument('<input...>', 'DICOM, PNG or JPEG files, folders (searched recursively) or @list.txt (one path per line)')
    .requiredOption('--bundle <dir>', 'model bundle made by `pneumo bundle`')
    .requiredOption('--out <dir>', 'output folder (created if needed)')
    .option('--tta', 'horizontal-flip test-time augmentation for both models (about twice the compute)')
    .option('--batch <n>', 'images per batch', integer(1), 4)
    .option('--list <file>', 'a file listing input paths, one per line (repeatable)', collect, [])
    .option(THREADS_OPTION.flags, THREADS_OPTION.description, THREADS_OPTION.parse)
    .option('--json', 'print the summary as one JSON object')
    .addHelpText(
      'after',
      '\nWrites to OUT: ID.overlay.png per image (full resolution, mask in colour, decision and probability in the title),\n' +
        'ID.mask.png per positive, predictions.jsonl (one line per image: probability, threshold, decision, area in\n' +
        'pixels and cm² when the DICOM gives the pixel spacing, bounding box, RLE, timings) and submission.csv (SIIM\n' +
        'format, -1 for negatives). Unreadable inputs are listed at the end; the exit code is then 1.\n' +
        "Relative paths in a list file are taken from the list file's folder; lines starting with # are comments.",
    )
    .action(
      runAction(async (inputs: string[], opts: PredictOptions) => {
        const { predictFiles } = await import('../pipeline/predict-files.js');
        const { progressCallback } = await import('./progress.js');
        const progress = progressCallback('predict', { unit: 'images' });
        const summary = await predictFiles({
          inputs,
          listFiles: opts.list,
          bundle: opts.bundle,
          out: opts.out,
          tta: Boolean(opts.tta),
          batchSize: opts.batch,
          threads: opts.threads,
          onProgress: progress.onProgress,
        });
        progress.stop();
        if (opts.json) process.stdout.write(JSON.stringify(summary) + '\n');
        else {
          process.stdout.write(
            `${summary.predicted} of ${summary.total} images predicted, ${summary.positives} with pneumothorax, ` +
              `${summary.imagesPerSecond.toFixed(2)} images/s\n` +
              `predictions: ${summary.predictionsFile}\nsubmission:  ${summary.submissionFile}\n`,
          );
        }
        if (summary.failures.length > 0) {
          process.stderr.write(`pneumo: ${summary.failures.length} input(s) failed:\n`);
          for (const f of summary.failures) process.stderr.write(`  ${f.file}: ${f.reason}\n`);
          return 1;
        }
      }),
    );
}
