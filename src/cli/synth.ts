import { availableParallelism } from 'node:os';
import { Command, Option } from 'commander';
import { CONFOUNDER_RATES, SYNTH_PRESETS, type AreaDistribution, type SynthPresetName } from '../data/synth/options.js';
import { runAction, UsageError } from './run-action.js';
import { integer, unitInterval, unitRange } from './option-parsers.js';

type ConfounderRate = (typeof CONFOUNDER_RATES)[number];

const CONFOUNDER_HELP: Record<ConfounderRate, string> = {
  tubeRatePositive: 'positives with a chest drain',
  tubeRateNegative: 'negatives with a chest drain',
  ecgRatePositive: 'positives with ECG electrodes and leads',
  ecgRateNegative: 'negatives with ECG electrodes and leads',
  skinFoldRatePositive: 'positives with a skin fold',
  skinFoldRateNegative: 'negatives with a skin fold',
};

/** "(siim: 0.4, easy: 0)": what each preset sets an option to, read from the presets themselves. */
function presetValues(key: Exclude<keyof (typeof SYNTH_PRESETS)['siim'], 'preset'>): string {
  const show = (v: unknown): string => {
    if (Array.isArray(v)) return v[0] === v[1] ? show(v[0]) : v.map(show).join(',');
    return typeof v === 'number' ? String(Number(v.toPrecision(3))) : String(v);
  };
  const shown = Object.entries(SYNTH_PRESETS).map(([name, values]) => `${name}: ${show(values[key])}`);
  // Ranges hold a comma themselves.
  return `(${shown.join(shown.some((v) => v.includes(',')) ? '; ' : ', ')})`;
}

/** --tube-rate-positive and its kin, one per confounder rate. */
function addConfounderOptions(command: Command): Command {
  for (const rate of CONFOUNDER_RATES)
    command.option(
      `--${rate.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} <fraction>`,
      `${CONFOUNDER_HELP[rate]} ${presetValues(rate)}`,
      unitInterval,
    );
  return command;
}

interface SynthFlags extends Partial<Record<ConfounderRate, number>> {
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
  duplicateRate: number;
  transferSyntax: string;
  quality: number;
  workers?: number;
  force?: boolean;
  json?: boolean;
}

export function synthCommand(): Command {
  const command = new Command('synth')
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
      `smallest pneumothorax, fraction of the image area ${presetValues('minAreaFraction')}`,
      unitInterval,
    )
    .option(
      '--max-area <fraction>',
      `largest pneumothorax, fraction of the image area ${presetValues('maxAreaFraction')}`,
      unitInterval,
    )
    .option(
      '--multi-part-rate <fraction>',
      `fraction of positives split into several parts, one CSV row each ${presetValues('multiPartRate')}`,
      unitInterval,
    )
    .option(
      '--line-contrast <low,high>',
      `pleural-line brightness relative to a clear line, drawn per image ${presetValues('lineContrast')}`,
      unitRange,
    )
    .option(
      '--texture-loss <low,high>',
      `share of lung texture the air replaces inside the pneumothorax, per image ${presetValues('textureLoss')}`,
      unitRange,
    );
  return addConfounderOptions(command)
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
            ...Object.fromEntries(CONFOUNDER_RATES.map((rate) => [rate, flags[rate]])),
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
