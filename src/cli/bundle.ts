import { Command } from 'commander';
import { existsSync } from 'node:fs';
import { integer, number, THREADS_OPTION, unitInterval } from './option-parsers.js';
import { runAction } from './run-action.js';
import { addComputeOptions, resolveCompute, type ComputeFlags } from './compute-options.js';
import { addGateFitOptions, fitGateCommandAction, type GateFitFlags } from './gate.js';

interface BundleOptions extends ComputeFlags, GateFitFlags {
  gate?: string;
  classifier: string[];
  segmenter: string[];
  out: string;
  classifierThreshold?: number;
  pixelThreshold?: number;
  minArea?: number;
  /** A dataset folder, or false for --no-validate; undefined: the runs' own. */
  validate?: boolean;
  validateOn?: string;
  labels?: string;
  triageRecall?: number;
  batch: number;
  threads?: number;
  force?: boolean;
  json?: boolean;
}

const fixed = (v: number | null) => (v === null ? 'n/a' : v.toFixed(3));

export function bundleCommand(): Command {
  const command = new Command('bundle')
    .description(
      'Make a model bundle (the one folder `predict` needs) from a classifier run and a segmenter run: ' +
        'classifier.safetensors, segmenter.safetensors and bundle.json (architectures, input sizes, normalisation, ' +
        'thresholds, training provenance, versions); then choose its operating points (siim, triage) and fit its ' +
        "calibration on the runs' validation split.",
    )
    .requiredOption(
      '--classifier <runs...>',
      'training run folder of the classifier (run.json + best weights); several (the fold models, in fold order) make an ensemble',
    )
    .requiredOption('--segmenter <runs...>', 'training run folder of the segmenter; several make an ensemble')
    .requiredOption('--out <dir>', 'bundle folder to create')
    .option(
      '--classifier-threshold <p>',
      "classifier threshold (default: the run's validation threshold, else 0.5); given thresholds skip the validation step unless --validate-on",
      unitInterval,
    )
    .option('--pixel-threshold <p>', 'pixel probability threshold (default 0.5)', unitInterval)
    .option('--min-area <pixels>', 'minimum mask area in pixels at 1024x1024 scale (default 0)', number(0))
    .option(
      '--validate-on <data>',
      "dataset folder whose validation split (the runs' fraction and seed) chooses the operating points and the calibration (default: the folder the classifier was trained on)",
    )
    .option('--no-validate', 'make the bundle only: no operating points, no calibration')
    .option(
      '--triage-recall <r>',
      'the triage point is the highest specificity whose validation recall is at least r (default 0.9)',
      unitInterval,
    )
    .option('--batch <n>', 'images per batch in the validation step', integer(1), 8)
    .option(THREADS_OPTION.flags, THREADS_OPTION.description, THREADS_OPTION.parse)
    .option('--force', 'replace an existing bundle folder')
    .option('--json', 'print bundle.json')
    .option(
      '--gate <data>',
      "also fit the learned input gate on this dataset folder (the classifier's training images; `pneumo gate fit` later does the same)",
    );
  return addComputeOptions(addGateFitOptions(command))
    .addHelpText(
      'after',
      '\nThe validation step runs both models over the validation images training held out (checked against the\n' +
        "bundle's training images) and writes into bundle.json: operatingPoints.siim (the best SIIM score; also\n" +
        '`thresholds`), operatingPoints.triage (the highest specificity at the recall floor: what serve and predict\n' +
        'use) and the temperature that calibrates the probability shown. When the training folder is gone the\n' +
        'bundle is made without them (said on stderr); `pneumo evaluate --write-bundle` chooses them later.\n' +
        'With several runs per role, bundle.json lists the fold files of each role (`folds`), whose probabilities are averaged;\n' +
        '`pneumo fit --folds K` makes such a bundle.',
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
        const given = [opts.classifierThreshold, opts.pixelThreshold, opts.minArea].some((v) => v !== undefined);
        const recorded = manifest.provenance.classifier.data;
        const data = opts.validateOn ?? (typeof recorded === 'string' && recorded !== '' ? recorded : null);
        const lines: string[] = [];
        let failed = false;
        if (opts.validate !== false && (opts.validateOn !== undefined || !given)) {
          if (data === null || !existsSync(data))
            process.stderr.write(
              `pneumo: note: ${data === null ? 'the runs record no data folder' : `${data} is not there`}; the bundle has no operating points or calibration yet ` +
                '(`pneumo bundle --validate-on DATA` or `pneumo evaluate --write-bundle` chooses them)\n',
            );
          else {
            const { finaliseBundleOnData } = await import('../evaluate/finalise-bundle.js');
            const { progressCallback } = await import('./progress.js');
            const progress = progressCallback('validate', { unit: 'images' });
            try {
              const done = await finaliseBundleOnData(opts.out, {
                data,
                labels: opts.labels,
                triageRecall: opts.triageRecall,
                batchSize: opts.batch,
                threads: opts.threads,
                ...(await resolveCompute(opts)),
                onProgress: progress.onProgress,
              });
              manifest = done.manifest;
              for (const [name, p] of Object.entries(done.points))
                lines.push(
                  `${name} point: classifier ${p.classifier}, pixel ${p.pixel}, minimum area ${p.minArea} px ` +
                    `(validation recall ${fixed(p.recall)}, specificity ${fixed(p.specificity)}` +
                    (p.floorMet === false ? `; recall floor ${p.recallFloor} NOT reached` : '') +
                    ')',
                );
              const check = done.calibrationCheck;
              if (done.calibration && check?.calibrated)
                lines.push(
                  `calibration: temperature ${done.calibration.temperature.toFixed(3)} on ${done.calibration.n} validation images ` +
                    `(ECE ${fixed(check.uncalibrated.expectedCalibrationError)} -> ${fixed(check.calibrated.expectedCalibrationError)}, ` +
                    `Brier ${fixed(check.uncalibrated.brierScore)} -> ${fixed(check.calibrated.brierScore)})`,
                );
            } catch (err) {
              failed = true;
              process.stderr.write(
                `pneumo: the bundle was made, but its operating points were not chosen: ${(err as Error).message}\n`,
              );
            } finally {
              progress.stop();
            }
          }
        }
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
              `thresholds: classifier ${t.classifier}, pixel ${t.pixel}, minimum area ${t.minArea} px\n` +
              lines.map((l) => `${l}\n`).join(''),
          );
        }
        if (failed) return 1;
      }),
    );
}
