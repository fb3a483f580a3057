import { availableParallelism } from 'node:os';
import { Command, Option } from 'commander';
import type { AreaDistribution, SynthPresetName } from '../data/synth/options.js';
import { runAction, UsageError } from './run-action.js';
import { integer, unitInterval, unitRange } from './option-parsers.js';

interface SynthFlags {
  out: string;
  n: number;
  size: number;
  seed: number;
  positiveRate: number;
  preset: string;
  areaDistribution?: string;
  minArea?: number;
  maxArea?: number;
  multiPartRate?: number;
  lineContrast?: [number, number];
  textureLoss?: [number, number];
  tubeRatePositive?: number;
  tubeRateNegative?: number;
  ecgRatePositive?: number;
  ecgRateNegative?: number;
  skinFoldRatePositive?: number;
  skinFoldRateNegative?: number;
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
    .addOption(
      new Option(
        '--preset <name>',
        'siim: SIIM-ACR mask areas and row counts, faint cases, chest drains mostly with positives, ECG leads, ' +
          'skin folds; easy: large clear pneumothoraces (1.8-6% of the image), no confounders. Options below override it',
      )
        .choices(['siim', 'easy'])
        .default('siim'),
    )
    .addOption(
      new Option(
        '--area-distribution <kind>',
        "siim (SIIM-ACR's area percentiles and 1/2/3/4+ rows) or log-uniform (between --min-area and --max-area, 2-3 parts)",
      ).choices(['siim', 'log-uniform']),
    )
    .option(
      '--min-area <fraction>',
      'smallest pneumothorax, fraction of the image area (siim: 0.0003, easy: 0.018)',
      unitInterval,
    )
    .option(
      '--max-area <fraction>',
      'largest pneumothorax, fraction of the image area (siim: 0.12, easy: 0.06)',
      unitInterval,
    )
    .option(
      '--multi-part-rate <fraction>',
      'fraction of positives split into several parts, one CSV row each (siim: 0.234, easy: 0.15)',
      unitInterval,
    )
    .option(
      '--line-contrast <low,high>',
      'pleural-line brightness relative to a clear line, drawn per image (siim: 0.45,1; easy: 1)',
      unitRange,
    )
    .option(
      '--texture-loss <low,high>',
      'share of lung texture the air replaces inside the pneumothorax, per image (siim: 0.6,1; easy: 1)',
      unitRange,
    )
    .option('--tube-rate-positive <fraction>', 'positives with a chest drain (siim: 0.4, easy: 0)', unitInterval)
    .option('--tube-rate-negative <fraction>', 'negatives with a chest drain (siim: 0.05, easy: 0)', unitInterval)
    .option(
      '--ecg-rate-positive <fraction>',
      'positives with ECG electrodes and leads (siim: 0.3, easy: 0)',
      unitInterval,
    )
    .option(
      '--ecg-rate-negative <fraction>',
      'negatives with ECG electrodes and leads (siim: 0.3, easy: 0)',
      unitInterval,
    )
    .option('--skin-fold-rate-positive <fraction>', 'positives with a skin fold (siim: 0.1, easy: 0)', unitInterval)
    .option('--skin-fold-rate-negative <fraction>', 'negatives with a skin fold (siim: 0.1, easy: 0)', unitInterval)
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
            preset: flags.preset as SynthPresetName,
            areaDistribution: flags.areaDistribution as AreaDistribution | undefined,
            minAreaFraction: flags.minArea,
            maxAreaFraction: flags.maxArea,
            multiPartRate: flags.multiPartRate,
            lineContrast: flags.lineContrast,
            textureLoss: flags.textureLoss,
            tubeRatePositive: flags.tubeRatePositive,
            tubeRateNegative: flags.tubeRateNegative,
            ecgRatePositive: flags.ecgRatePositive,
            ecgRateNegative: flags.ecgRateNegative,
            skinFoldRatePositive: flags.skinFoldRatePositive,
            skinFoldRateNegative: flags.skinFoldRateNegative,
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
              `  preset ${summary.parameters.preset}; mask area ${c.maskAreaFraction ? `median ${(c.maskAreaFraction.median * 100).toFixed(2)}% (${(c.maskAreaFraction.min * 100).toFixed(2)}-${(c.maskAreaFraction.max * 100).toFixed(2)}%)` : 'n/a'}; ` +
              `chest drains ${c.confounders.chestDrain.positive} positive / ${c.confounders.chestDrain.negative} negative\n` +
              `  sex M ${c.sex.M} / F ${c.sex.F}, view PA ${c.view.PA} / AP ${c.view.AP}, age ${c.age.min}-${c.age.max} (median ${c.age.median}, ${c.age.implausible} implausible)\n`,
          );
        }
        for (const f of summary.failures) process.stderr.write(`pneumo: image ${f.index}: ${f.reason}\n`);
        return summary.failures.length > 0 ? 1 : 0;
      }),
    );
}
