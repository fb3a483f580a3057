import { Command, Option } from 'commander';
import { integer, number, unitInterval } from './option-parsers.js';
import { runAction, UsageError } from './run-action.js';
import { FEATURE_TRANSFORMS, OOD_METHODS, type FeatureTransform, type OodMethod } from '../pipeline/ood-distance.js';

export interface GateFitFlags {
  method: OodMethod;
  transform: FeatureTransform;
  percentile: number;
  labels?: string;
  valFraction: number;
  seed: number;
}

/** The learned gate's fitting options, shared by `gate fit` and `bundle --gate`. */
export function addGateFitOptions(command: Command): Command {
  return command
    .addOption(
      new Option(
        '--method <name>',
        'distance of the pooled encoder features from the training images: mahalanobis (Ledoit-Wolf shrinkage covariance) or knn (mean distance to the 5 nearest, unit-length features)',
      )
        .choices([...OOD_METHODS])
        .default('mahalanobis'),
    )
    .addOption(
      new Option('--transform <name>', "the features' transform before the distance")
        .choices([...FEATURE_TRANSFORMS])
        .default('signed-sqrt'),
    )
    .option(
      '--percentile <q>',
      "the threshold: this percentile of the validation images' scores (default 99.5)",
      (v: string) => {
        const n = number(0)(v);
        if (!(n > 0 && n <= 100)) throw new UsageError(`--percentile expects a number in (0, 100], got "${v}"`);
        return n;
      },
      99.5,
    )
    .option('--labels <csv>', 'label file of the data folder, when it has none of the standard names')
    .option(
      '--val-fraction <f>',
      "validation share when the bundle does not record its classifier's split (default 0.2)",
      unitInterval,
      0.2,
    )
    .option('--seed <n>', 'seed of that split (default 1)', integer(0), 1);
}

/** Fits the gate into BUNDLE from DATA and prints one line (or JSON). */
export async function fitGateCommandAction(
  bundle: string,
  data: string,
  flags: GateFitFlags,
  json: boolean,
  out: NodeJS.WritableStream = process.stdout,
): Promise<void> {
  const { fitInputGate, gateSplit } = await import('../pipeline/fit-gate.js');
  const { progressCallback } = await import('./progress.js');
  const split = await gateSplit(bundle, data, {
    labels: flags.labels,
    validationFraction: flags.valFraction,
    seed: flags.seed,
  });
  const progress = progressCallback('gate features', { unit: 'images' });
  const total = split.train.length + split.validation.length;
  const result = await fitInputGate(bundle, split.train, split.validation, {
    method: flags.method,
    transform: flags.transform,
    percentile: flags.percentile,
    fittedOn: split.fittedOn,
    onProgress: (stage, done) => progress.onProgress((stage === 'validation' ? split.train.length : 0) + done, total),
  });
  progress.stop();
  const g = result.gate;
  if (json) out.write(JSON.stringify({ gate: g, failures: result.failures }) + '\n');
  else
    out.write(
      `input gate of ${bundle}: ${g.method} on ${g.n} training images (${g.featureLayer}); ` +
        `threshold ${g.threshold.toFixed(3)} = ${g.percentile}th percentile of ${g.validationN} validation images\n`,
    );
  for (const f of result.failures) process.stderr.write(`pneumo: ${f.file}: ${f.reason} (left out of the gate)\n`);
}

export function gateCommand(): Command {
  const gate = new Command('gate').description(
    "The input gate's learned part: a distance model of the classifier encoder's pooled features, stored in the bundle " +
      '(docs/input-gate.md). Header rules need no fitting.',
  );
  gate.addCommand(
    addGateFitOptions(
      new Command('fit')
        .description(
          "Fit the learned gate into an existing bundle: features of the classifier's training images make the model, " +
            "the validation images' scores set the threshold; written as BUNDLE/gate.safetensors and bundle.json's gate.",
        )
        .requiredOption('--bundle <dir>', 'the bundle to add the gate to (an existing gate is replaced)')
        .requiredOption('--data <dir>', "a dataset folder (SIIM layout) holding the classifier's training images"),
    )
      .option('--json', 'print the gate entry as JSON')
      .action(
        runAction(async (opts: GateFitFlags & { bundle: string; data: string; json?: boolean }) => {
          await fitGateCommandAction(opts.bundle, opts.data, opts, Boolean(opts.json));
        }),
      ),
  );
  return gate;
}
