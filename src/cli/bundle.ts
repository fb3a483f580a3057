import { Command } from 'commander';
import { number, unitInterval } from './option-parsers.js';
import { runAction } from './run-action.js';
import { addGateFitOptions, fitGateCommandAction, type GateFitFlags } from './gate.js';

interface BundleOptions extends GateFitFlags {
  gate?: string;
  classifier: string;
  segmenter: string;
  out: string;
  classifierThreshold?: number;
  pixelThreshold?: number;
  minArea?: number;
  force?: boolean;
  json?: boolean;
}

export function bundleCommand(): Command {
  return addGateFitOptions(
    new Command('bundle')
      .description(
        'Make a model bundle (the one folder `predict` needs) from a classifier run and a segmenter run: ' +
          'classifier.safetensors, segmenter.safetensors and bundle.json (architectures, input sizes, normalisation, ' +
          'thresholds, training provenance, versions). The bundle is loaded once to check that the weights match.',
      )
      .requiredOption('--classifier <run>', 'training run folder of the classifier (run.json + best weights)')
      .requiredOption('--segmenter <run>', 'training run folder of the segmenter')
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
      .option(
        '--gate <data>',
        "also fit the learned input gate on this dataset folder (the classifier's training images; `pneumo gate fit` later does the same)",
      ),
  )
    .addHelpText(
      'after',
      '\n`pneumo evaluate --search-triplet --write-bundle` later replaces the thresholds by ones chosen on validation.',
    )
    .action(
      runAction(async (opts: BundleOptions) => {
        const { makeBundle, loadBundle, readBundleManifest } = await import('../pipeline/bundle.js');
        let manifest = await makeBundle({
          classifierRun: opts.classifier,
          segmenterRun: opts.segmenter,
          out: opts.out,
          force: Boolean(opts.force),
          thresholds: { classifier: opts.classifierThreshold, pixel: opts.pixelThreshold, minArea: opts.minArea },
        });
        (await loadBundle(opts.out)).dispose();
        if (opts.gate) {
          // The gate's line goes to stderr under --json, so stdout stays one JSON object.
          await fitGateCommandAction(opts.out, opts.gate, opts, false, opts.json ? process.stderr : process.stdout);
          manifest = await readBundleManifest(opts.out);
        }
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
