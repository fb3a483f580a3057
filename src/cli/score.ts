import { Command } from 'commander';
import { integer } from './option-parsers.js';
import { rleOption, type RleOption } from './rle-option.js';
import { runAction, UsageError } from './run-action.js';
import type { SiimScoreResult } from '../metrics/siim-score.js';

interface ScoreOptions {
  truth: string;
  pred: string;
  json?: boolean;
  allTruth?: boolean;
  size: number;
  rle?: RleOption;
}

const LISTED_IDS = 10;

function idList(ids: readonly string[]): string {
  const shown = ids.slice(0, LISTED_IDS).join(', ');
  return ids.length > LISTED_IDS ? `${shown}, ... and ${ids.length - LISTED_IDS} more` : shown;
}

function fixed(value: number | null): string {
  return value === null ? 'n/a' : value.toFixed(6);
}

function textReport(r: SiimScoreResult, opts: ScoreOptions): string[] {
  const s = r.summary;
  const lines = [
    `SIIM score ${fixed(r.score)} (mean per-image Dice over ${s.images} images; both empty = 1)`,
    `  truth-positive images ${s.positiveImages}: mean Dice ${fixed(s.meanDicePositive)}`,
    `  truth-negative images ${s.negativeImages}: mean Dice ${fixed(s.meanDiceNegative)} (share predicted empty)`,
    `truth ${r.truthImages} images, prediction ${r.predictionImages} images`,
  ];
  const { truth, prediction } = r.rleReadings;
  if (truth !== 'relative' || prediction !== 'relative')
    lines.push(`run starts read as ${truth} (truth) and ${prediction} (prediction)`);
  if (r.onlyInTruth.length > 0) {
    const treatment = opts.allTruth
      ? 'scored as empty predictions'
      : 'not scored; --all-truth scores them as empty predictions';
    lines.push(`only in truth: ${r.onlyInTruth.length} (${treatment}): ${idList(r.onlyInTruth)}`);
  }
  if (r.onlyInPrediction.length > 0)
    lines.push(`only in prediction: ${r.onlyInPrediction.length} (not scored): ${idList(r.onlyInPrediction)}`);
  if (r.duplicateTruthRows + r.duplicatePredictionRows > 0) {
    lines.push(
      `repeated identical rows (harmless, OR-ed): truth ${r.duplicateTruthRows}, prediction ${r.duplicatePredictionRows}`,
    );
  }
  const malformed = [...r.malformedTruth, ...r.malformedPrediction];
  if (malformed.length > 0) {
    lines.push(`malformed rows: ${malformed.length}; images left out of the score: ${r.excludedMalformed.length}`);
    for (const err of malformed) lines.push(`  ${err.message}`);
  }
  return lines;
}

export function scoreCommand(): Command {
  return new Command('score')
    .description(
      'SIIM-ACR score of a prediction CSV against a truth CSV: the mean per-image Dice (both masks empty = 1) ' +
        'over the images present in both files. Several rows of one image are OR-ed on both sides.',
    )
    .requiredOption('--truth <csv>', 'label CSV with the true masks (ImageId,EncodedPixels; -1 for none)')
    .requiredOption('--pred <csv>', 'label CSV with the predicted masks, same format (e.g. a submission.csv)')
    .option('--all-truth', 'score truth images missing from the prediction as empty predictions, as Kaggle did')
    .option('--size <pixels>', 'width and height of the images the RLE refers to', integer(1), 1024)
    .addOption(rleOption())
    .option('--json', 'print one JSON object instead of the text report')
    .addHelpText(
      'after',
      '\nMalformed rows (bad RLE, wrong column count) are listed with file, line and image;\n' +
        'their images are left out of the score and the exit code is 1.',
    )
    .action(
      runAction(async (opts: ScoreOptions) => {
        const { scoreLabelFiles } = await import('../metrics/siim-score.js');
        const result = await scoreLabelFiles(opts.truth, opts.pred, {
          allTruth: Boolean(opts.allTruth),
          width: opts.size,
          height: opts.size,
          rle: opts.rle,
        });
        const malformed = result.malformedTruth.length + result.malformedPrediction.length;
        if (opts.json) {
          const { perImage: _perImage, malformedTruth, malformedPrediction, ...rest } = result;
          const rows = (errs: typeof malformedTruth) =>
            errs.map(({ file, line, imageId, reason }) => ({ file, line, imageId, reason }));
          const report = {
            ...rest,
            malformedTruth: rows(malformedTruth),
            malformedPrediction: rows(malformedPrediction),
          };
          process.stdout.write(JSON.stringify(report) + '\n');
        } else {
          process.stdout.write(textReport(result, opts).join('\n') + '\n');
        }
        if (result.summary.images === 0)
          throw new UsageError(`no image to score: ${opts.truth} and ${opts.pred} share no ImageId`);
        if (malformed > 0) {
          process.stderr.write(
            `pneumo: ${malformed} malformed row${malformed === 1 ? '' : 's'} (listed above); score computed without their images\n`,
          );
          return 1;
        }
      }),
    );
}
