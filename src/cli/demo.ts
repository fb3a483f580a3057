import { Command, Option } from 'commander';
import { runAction } from './run-action.js';
import { addComputeOptions, resolveCompute, type ComputeFlags } from './compute-options.js';
import { integer, THREADS_OPTION } from './option-parsers.js';

interface DemoCliOptions extends ComputeFlags {
  out: string;
  size: string;
  seed: number;
  force?: boolean;
  json?: boolean;
  threads?: number;
}

export function demoCommand(): Command {
  const command = new Command('demo')
    .description(
      'Run the whole system on data it makes itself: synthesise SIIM-format DICOMs, analyse them, train the segmenter and the classifier, bundle, choose thresholds on validation, evaluate on a separate test set, predict, and write DIR/index.html',
    )
    .option('--out <dir>', 'output folder (its earlier demo outputs are replaced, never reused)', 'demo-out')
    .addOption(
      new Option(
        '--size <size>',
        'small: ~400 images, 11-13 minutes on 2 cores; full: 2000 images, larger models (an hour or more); tiny: a smoke run',
      )
        .choices(['small', 'full', 'tiny'])
        .default('small'),
    )
    .option('--seed <n>', 'seed of the data, the split and the training', integer(0), 1)
    .option(THREADS_OPTION.flags, THREADS_OPTION.description, THREADS_OPTION.parse)
    .option('--force', 'replace a folder that holds files the demo did not make')
    .option('--json', 'print only the result (demo.json) on stdout; progress stays on stderr');
  return addComputeOptions(command).action(
    runAction(async (opts: DemoCliOptions) => {
      const { runDemo } = await import('../demo/run-demo.js');
      const { demoPlan } = await import('../demo/demo-plan.js');
      const plan = demoPlan(opts.size);
      // The plan's precision unless --precision says otherwise.
      const compute = await resolveCompute({ ...opts, precision: opts.precision ?? plan.precision });
      const { progressReporter } = await import('./progress.js');
      const { trainProgress } = await import('./train-progress.js');
      const say = (line: string) => process.stderr.write(line + '\n');
      const result = await runDemo(
        {
          out: opts.out,
          plan,
          seed: opts.seed,
          force: Boolean(opts.force),
          threads: opts.threads,
          ...compute,
        },
        {
          stage: (i, n, title) => say(`\n[${i}/${n}] ${title}`),
          note: (line) => say(`  ${line}`),
          progress: (label, total, startedAt) => progressReporter(label, total, { unit: 'images', startedAt }),
          training: (epochs) => trainProgress(epochs),
        },
      );
      const h = result.headline;
      const f = (v: number | null) => (v === null ? 'n/a' : v.toFixed(3));
      if (opts.json) process.stdout.write(JSON.stringify(result) + '\n');
      else
        process.stdout.write(
          [
            '',
            `test set at the bundle's thresholds: classifier ROC AUC ${f(h.rocAuc)}, threshold ${h.threshold}; pipeline recall ${f(h.pipeline.recall)}, specificity ${f(h.pipeline.specificity)} (classifier alone ${f(h.classifier.recall)} / ${f(h.classifier.specificity)}); Dice on positives: segmenter ${f(h.dicePositive.segmenter)}, pipeline ${f(h.dicePositive.pipeline)}; pipeline SIIM ${f(h.siimScore)} (all-empty ${f(h.allEmptyScore)})`,
            ...result.targets.map((t) => `target ${t.met ? 'met    ' : 'MISSED '} ${t.name}: ${t.value} (${t.target})`),
            `${(result.seconds.total / 60).toFixed(1)} minutes; report: ${result.files.report}`,
          ].join('\n') + '\n',
        );
      if (result.failures.length > 0) {
        say(`pneumo: ${result.failures.length} item(s) failed:`);
        for (const line of result.failures) say(`  ${line}`);
        return 1;
      }
    }),
  );
}
