import { Command } from 'commander';
import { number, unitInterval } from './option-parsers.js';
import { runAction } from './run-action.js';

interface BundleOptions {
  classifier: string[];
  segmenter: string[];
  out: string;
  classifierThreshold?: number;
  pixelThreshold?: number;
  minArea?: number;
  force?: boolean;
  json?: boolean;
}

export function bundleCommand(): Command {
  return new Command('bundle')
    .description(
      'Make a model bundle (the one folder `predict` needs) from a classifier run and a segmenter run: ' +
        'classifier.safetensors, segmenter.safetensors and bundle.json (architectures, input sizes, normalisation, ' +
        'thresholds, training provenance, versions). The bundle is loaded once to check that the weights match.',
    )
    .requiredOption(
      '--classifier <runs...>',
      'training run folder of the classifier (run.json + best weights); several (the fold models, in fold order) make an ensemble',
    )
    .requiredOption('--segmenter <runs...>', 'training run folder of the segmenter; several make an ensemble')
    .requiredOption('--out <dir>', 'bundle folder to create')
    .option(
      '--classifier-threshold <p>',
      "classifier threshold (default: the run's validation threshold, else 0.5)",
      unitInterval,
    )
    .option('--pixel-threshold <p>', 'pixel probability threshold (default 0.5)', unitInterval)
    .option('--min-area <pixels>', 'minimum mask area in pixels at 1024x1024 scale (default 0)', number(0))
    .option('--force', 'replace an existing bundle folder')
    .option('--json', 'print bundle.json')
    .addHelpText(
      'after',
      '\n`pneumo evaluate --search-triplet --write-bundle` later replaces the thresholds by ones chosen on validation.\n' +
        'With several runs per role, bundle.json lists the fold files of each role (`folds`), whose probabilities are averaged;\n' +
        '`pneumo fit --folds K` makes such a bundle.',
    )
    .action(
      runAction(async (opts: BundleOptions) => {
        const { makeBundle, loadBundle } = await import('../pipeline/bundle.js');
        const manifest = await makeBundle({
          classifierRun: opts.classifier,
          segmenterRun: opts.segmenter,
          out: opts.out,
          force: Boolean(opts.force),
          thresholds: { classifier: opts.classifierThreshold, pixel: opts.pixelThreshold, minArea: opts.minArea },
        });
        (await loadBundle(opts.out)).dispose();
        if (opts.json) process.stdout.write(JSON.stringify(manifest) + '\n');
        else {
          const t = manifest.thresholds;
          process.stdout.write(
            `bundle ${opts.out}: classifier ${manifest.classifier.architecture} at ${manifest.classifier.input.width}x${manifest.classifier.input.height}, ` +
              `segmenter ${manifest.segmenter.architecture} at ${manifest.segmenter.input.width}x${manifest.segmenter.input.height}; ` +
              `thresholds: classifier ${t.classifier}, pixel ${t.pixel}, minimum area ${t.minArea} px\n`,
          );
        }
      }),
    );
}
