import { Command } from 'commander';
import { runAction, UsageError } from './run-action.js';
import { integer } from './option-parsers.js';
import { rleOption, type RleOption } from './rle-option.js';

interface EdaOptions {
  data?: string;
  labels?: string;
  rle?: RleOption;
  out: string;
  concurrency: number;
  json?: boolean;
}

export function edaCommand(): Command {
  return new Command('eda')
    .description(
      'Exploratory data analysis of a SIIM-format dataset: label and DICOM header facts, plots, an HTML report',
    )
    .option(
      '--data <dir>',
      'dataset folder: a label CSV (train-rle.csv or stage_2_train.csv) and DICOM files anywhere below',
    )
    .option(
      '--labels <csv>',
      "label CSV; alone, only the labels are analysed; with --data, it replaces the folder's own",
    )
    .addOption(rleOption())
    .option('--out <dir>', 'output folder', 'eda-out')
    .option('--concurrency <n>', 'DICOM headers read at once', integer(1), 32)
    .option('--json', "print eda.json's headline numbers as one JSON line instead of the text summary")
    .addHelpText(
      'after',
      `
Writes into the output folder:
  eda.json       every number, machine-readable (rows, images, duplicateRows, positive, negative,
                 positiveRate, mask sizes and location, and with --data the header tables)
  metadata.csv   one row per image: id, label, mask size, age, sex, view, size, ... (for pandas)
  plots/         each chart as SVG and PNG
  index.html     the report: numbers, plots and every problem found

Unreadable DICOMs and malformed label rows are listed in the report; they do not stop the run.

Examples:
  pneumo eda --data data/siim --out runs/eda
  pneumo eda --labels data/siim/train-rle.csv --out runs/eda-labels`,
    )
    .action(
      runAction(async (opts: EdaOptions) => {
        if (!opts.data && !opts.labels)
          throw new UsageError('give --data DIR (labels and DICOMs) or --labels CSV (labels only)');
        const concurrency = opts.concurrency;
        const { runEda } = await import('../report/eda/run-eda.js');
        const { writeEdaReport } = await import('../report/eda/eda-report.js');
        const { edaSummaryLines } = await import('../report/eda/summary.js');
        const { progressCallback } = await import('./progress.js');

        const progress = progressCallback('reading DICOM headers');
        const result = await runEda({
          dataDir: opts.data,
          labelsFile: opts.labels,
          rle: opts.rle,
          concurrency,
          onHeaderProgress: progress.onProgress,
        });
        progress.stop();
        const outputs = await writeEdaReport(result, opts.out);

        if (opts.json) {
          const l = result.labels;
          const h = result.headers;
          const line = {
            out: opts.out,
            rows: l.rows,
            images: l.images,
            duplicateRows: l.duplicateRows,
            positive: l.positive,
            negative: l.negative,
            positiveRate: l.positiveRate,
            files: h?.files ?? null,
            unreadable: h?.unreadable.length ?? null,
            labelProblems: result.labelProblems.length,
            report: outputs.html,
          };
          process.stdout.write(JSON.stringify(line) + '\n');
        } else {
          for (const line of edaSummaryLines(result)) process.stdout.write(line + '\n');
          process.stdout.write(`report   ${outputs.html}\n`);
        }
      }),
    );
}
