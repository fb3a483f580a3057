import { availableParallelism } from 'node:os';
import { Command } from 'commander';
import { runAction, UsageError } from './run-action.js';
import { integer, unitInterval } from './option-parsers.js';

interface SynthFlags {
  out: string;
  n: number;
  size: number;
  seed: number;
  positiveRate: number;
  minArea: number;
  maxArea: number;
  multiPartRate: number;
  duplicateRate: number;
  transferSyntax: string;
  quality: number;
  workers?: number;
  force?: boolean;
  json?: boolean;
}

export function synthCommand(): Command {
  return new Command('synth')
    .description(
      'Write a synthetic SIIM-ACR-format dataset: chest radiograph DICOMs (some with a pneumothorax), train-rle.csv and synth.json',
    )
    .requiredOption('--out <dir>', 'dataset folder to create')
    .option('--n <count>', 'number of images', integer(1), 400)
    .option('--size <pixels>', 'width and height of each image', integer(64), 1024)
    .option('--seed <int>', 'seed; the same seed gives the same bytes', integer(0), 1)
    .option('--positive-rate <fraction>', 'fraction of images with a pneumothorax', unitInterval, 0.22)
    .option('--min-area <fraction>', 'smallest pneumothorax, fraction of the image area', unitInterval, 0.018)
    .option('--max-area <fraction>', 'largest pneumothorax, fraction of the image area', unitInterval, 0.06)
    .option(
      '--multi-part-rate <fraction>',
      'fraction of positives split into 2-3 parts, one CSV row each',
      unitInterval,
      0.15,
    )
    .option(
      '--duplicate-rate <fraction>',
      'fraction of images whose CSV row is repeated, as in the real file',
      unitInterval,
      0.01,
    )
    .option(
      '--transfer-syntax <kind>',
      'jpeg (JPEG baseline, like the SIIM files) or explicit (uncompressed explicit VR little endian)',
      'jpeg',
    )
    .option('--quality <1-100>', 'JPEG quality', integer(1), 90)
    .option(
      '--workers <count>',
      'worker threads (default: the number of cores, at most 8; 0 renders on the main thread)',
      integer(0),
    )
    .option(
      '--force',
      'replace a synthetic dataset already in --out (removes only its DICOM folder, CSV and synth.json)',
    )
    .option('--json', 'print the composition (synth.json without the per-image list) as one JSON line')
    .addHelpText(
      'after',
      '\nLayout: OUT/dicom-images-train/<study>/<series>/<SOPInstanceUID>.dcm, OUT/train-rle.csv (header\n' +
        '"ImageId, EncodedPixels"; -1 for no pneumothorax), OUT/synth.json (parameters and known composition).',
    )
    .action(
      runAction(async (flags: SynthFlags) => {
        const { writeSynthDataset } = await import('../data/synth/dataset-writer.js');
        const { progressReporter } = await import('./progress.js');
        const workers = flags.workers ?? Math.min(8, availableParallelism());
        const progress = progressReporter('synth', flags.n);
        const started = performance.now();
        const { SynthOptionsError } = await import('../data/synth/options.js');
        let summary;
        try {
          summary = await writeSynthDataset(flags.out, {
            n: flags.n,
            size: flags.size,
            seed: flags.seed,
            positiveRate: flags.positiveRate,
            minAreaFraction: flags.minArea,
            maxAreaFraction: flags.maxArea,
            multiPartRate: flags.multiPartRate,
            duplicateRate: flags.duplicateRate,
            transferSyntax: flags.transferSyntax as 'jpeg' | 'explicit',
            jpegQuality: flags.quality,
            workers,
            force: flags.force,
            onProgress: (done) => progress.update(done),
          });
        } catch (err) {
          // A value the options check refuses is a usage error (exit 2), like one commander refuses.
          throw err instanceof SynthOptionsError ? new UsageError(err.message) : err;
        } finally {
          progress.stop();
        }
        const seconds = (performance.now() - started) / 1000;
        const c = summary.composition;
        if (flags.json) {
          const { images: _images, ...rest } = summary;
          process.stdout.write(JSON.stringify({ out: flags.out, seconds: Number(seconds.toFixed(2)), ...rest }) + '\n');
        } else {
          process.stdout.write(
            `wrote ${c.images} images to ${flags.out} in ${seconds.toFixed(1)} s (${(c.images / seconds).toFixed(1)} images/s, ${workers} workers)\n` +
              `  positives ${c.positives} (${c.multiRowImages} with several rows), negatives ${c.negatives}, CSV rows ${c.csvRows} (${c.duplicateRows} duplicates)\n` +
              `  sex M ${c.sex.M} / F ${c.sex.F}, view PA ${c.view.PA} / AP ${c.view.AP}, age ${c.age.min}-${c.age.max} (median ${c.age.median}, ${c.age.implausible} implausible)\n`,
          );
        }
        for (const f of summary.failures) process.stderr.write(`pneumo: image ${f.index}: ${f.reason}\n`);
        return summary.failures.length > 0 ? 1 : 0;
      }),
    );
}
