import { Command } from 'commander';
import { httpUrl, integer } from './option-parsers.js';
import { THREADS_OPTION } from './option-parsers.js';
import { ttaOption, type TtaName } from './tta-option.js';
import { runAction, UsageError } from './run-action.js';
import { resolveRuntime, runtimeOption, type RuntimeName } from './runtime-option.js';
import { operatingPointOption } from './operating-point-option.js';
import type { OperatingPointName } from '../pipeline/bundle-manifest.js';
import { addComputeOptions, resolveCompute, type ComputeFlags } from './compute-options.js';
import { addGateOptions, resolveGate, type GateFlags } from './gate-options.js';

interface PredictOptions extends ComputeFlags, GateFlags {
  bundle: string;
  out: string;
  tta: TtaName;
  runtime: RuntimeName;
  operatingPoint: OperatingPointName;
  batch: number;
  list: string[];
  threads?: number;
  json?: boolean;
  dicomOut?: string;
  emptySeg?: boolean;
  dicomweb?: string;
  study: string[];
  qido: string[];
  push?: boolean;
}

/** `KEY=VALUE` of --qido into a query object. */
function qidoQuery(pairs: readonly string[]): Record<string, string> {
  const query: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`--qido expects KEY=VALUE (e.g. ModalitiesInStudy=CR), got "${pair}"`);
    query[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return query;
}

const collect = (value: string, previous: string[]) => [...previous, value];

/** " (lateral-view 2, modality 1)" from the counts per reason code; nothing when there are none. */
function notAssessedDetail(reasons: Record<string, number>): string {
  const entries = Object.entries(reasons);
  return entries.length === 0 ? '' : ` (${entries.map(([code, n]) => `${code} ${n}`).join(', ')})`;
}

function reportFailures(failures: readonly { file: string; reason: string }[]): number | void {
  if (failures.length === 0) return;
  process.stderr.write(`pneumo: ${failures.length} input(s) failed:\n`);
  for (const f of failures) process.stderr.write(`  ${f.file}: ${f.reason}\n`);
  return 1;
}

export function predictCommand(): Command {
  const command = new Command('predict')
    .description(
      'Two-stage prediction: the classifier decides whether each image shows pneumothorax; images at or above ' +
        'its threshold are segmented, and the mask is thresholded per pixel and dropped when smaller than the minimum area.',
    )
    .argument(
      '[input...]',
      'DICOM, PNG or JPEG files, folders (searched recursively) or @list.txt (one path per line); none with --dicomweb',
    )
    .requiredOption('--bundle <dir>', 'model bundle made by `pneumo bundle`')
    .requiredOption('--out <dir>', 'output folder (created if needed)')
    .addOption(ttaOption())
    .addOption(runtimeOption())
    .addOption(operatingPointOption())
    .option('--batch <n>', 'images per batch', integer(1), 4)
    .option('--list <file>', 'a file listing input paths, one per line (repeatable)', collect, [])
    .option(THREADS_OPTION.flags, THREADS_OPTION.description, THREADS_OPTION.parse)
    .option('--json', 'print the summary as one JSON object')
    .option(
      '--dicom-out <dir>',
      'also write, per DICOM input, a DICOM Segmentation (positives), a Secondary Capture of the overlay and a Structured Report',
    )
    .option('--empty-seg', 'with --dicom-out: write a Segmentation with an empty frame for negatives too')
    .option(
      '--dicomweb <url>',
      'take the images from this DICOMweb service (QIDO-RS, WADO-RS) instead of files',
      httpUrl,
    )
    .option('--study <uid>', 'with --dicomweb: a Study Instance UID to predict (repeatable)', collect, [])
    .option(
      '--qido <key=value>',
      'with --dicomweb: a QIDO-RS study search attribute, e.g. ModalitiesInStudy=CR or StudyDate=20240101-20240131 (repeatable)',
      collect,
      [],
    )
    .option(
      '--push',
      'with --dicomweb: store the SEG, SC and SR back to the same service (STOW-RS), retrying while it is down',
    );
  return addGateOptions(addComputeOptions(command))
    .addHelpText(
      'after',
      '\nWrites to OUT: ID.overlay.png per image (full resolution, mask in colour, decision and probability in the title),\n' +
        'ID.mask.png per positive, predictions.jsonl (one line per image: probability, threshold, decision, area in\n' +
        'pixels and cm² when the DICOM gives the pixel spacing, bounding box, RLE, timings) and submission.csv (SIIM\n' +
        'format, -1 for negatives; use --operating-point siim for a Kaggle submission). Unreadable inputs are listed at the end; the exit code is then 1.\n' +
        'The input gate runs first (docs/input-gate.md): header rules (modality CR/DX, chest, PA/AP, adult, one frame,\n' +
        "plausible spacing and size, grey) and the bundle's learned out-of-distribution score. A refused image is\n" +
        '`status: "not-assessed"` in predictions.jsonl with gate.reasons, no mask and no finding, left out of\n' +
        'submission.csv, counted in the summary; it is not a failure (exit 0). --no-gate turns the gate off.\n' +
        "Relative paths in a list file are taken from the list file's folder; lines starting with # are comments.\n" +
        'With --dicom-out DIR: ID.seg.dcm, ID.sc.dcm and ID.sr.dcm in DIR, in the source study (new series 9001-9003).\n' +
        'With --dicomweb URL: the images go to OUT/retrieved, the DICOM objects to OUT/dicom (or --dicom-out); with --push,\n' +
        'objects that could not be stored after the retries are kept in OUT/dead-letters and the exit code is 1.',
    )
    .action(
      runAction(async (inputs: string[], opts: PredictOptions) => {
        const fromDicomweb = opts.dicomweb !== undefined;
        if (fromDicomweb && (inputs.length > 0 || opts.list.length > 0))
          throw new UsageError('give input files (or --list) or --dicomweb URL, not both');
        if (!fromDicomweb && inputs.length === 0 && opts.list.length === 0)
          throw new UsageError('give input files, folders or @lists, or --dicomweb URL');
        for (const [flag, given] of [
          ['--study', opts.study.length > 0],
          ['--qido', opts.qido.length > 0],
          ['--push', Boolean(opts.push)],
        ] as const)
          if (given && !fromDicomweb) throw new UsageError(`${flag} needs --dicomweb URL`);
        if (fromDicomweb && opts.study.length === 0 && opts.qido.length === 0)
          throw new UsageError('--dicomweb needs --study UID or --qido KEY=VALUE');
        if (opts.emptySeg && !opts.dicomOut && !fromDicomweb) throw new UsageError('--empty-seg needs --dicom-out DIR');
        const compute = await resolveCompute(opts);
        const { predictFiles } = await import('../pipeline/predict-files.js');
        const { progressCallback } = await import('./progress.js');
        const progress = progressCallback('predict', { unit: 'images' });
        const run = {
          bundle: opts.bundle,
          out: opts.out,
          tta: opts.tta,
          runtime: await resolveRuntime(opts.bundle, opts.runtime, compute),
          operatingPoint: opts.operatingPoint,
          batchSize: opts.batch,
          threads: opts.threads,
          ...compute,
          gate: resolveGate(opts),
          onProgress: progress.onProgress,
        };
        const emptySegmentation = opts.emptySeg ? ('empty-frame' as const) : ('skip' as const);
        if (fromDicomweb) {
          const { predictDicomweb } = await import('../interop/predict-dicomweb.js');
          const summary = await predictDicomweb({
            url: opts.dicomweb!,
            studies: opts.study,
            query: opts.qido.length > 0 ? qidoQuery(opts.qido) : undefined,
            push: Boolean(opts.push),
            dicomOut: opts.dicomOut,
            emptySegmentation,
            ...run,
            onRetry: (attempt, delayMs, error) =>
              process.stderr.write(`pneumo: push try ${attempt} failed (${error.message}); again in ${delayMs} ms\n`),
          });
          progress.stop();
          if (opts.json) process.stdout.write(JSON.stringify(summary) + '\n');
          else
            process.stdout.write(
              `${summary.retrieved} images retrieved from ${summary.studies.length} studies, ${summary.predicted} predicted, ` +
                `${summary.positives} with pneumothorax\nDICOM objects: ${summary.dicomDir}\n` +
                (opts.push ? `pushed: ${summary.pushed} objects to ${opts.dicomweb}\n` : ''),
            );
          return reportFailures(summary.failures);
        }
        let derivedOutputs;
        if (opts.dicomOut) {
          const { readBundleManifest } = await import('../pipeline/bundle.js');
          const { dicomOutputWriter } = await import('../interop/dicom-outputs.js');
          derivedOutputs = dicomOutputWriter({
            dir: opts.dicomOut,
            manifest: await readBundleManifest(opts.bundle),
            emptySegmentation,
          });
        }
        const summary = await predictFiles({
          inputs,
          listFiles: opts.list,
          ...run,
          derivedOutputs,
        });
        progress.stop();
        if (opts.json) process.stdout.write(JSON.stringify(summary) + '\n');
        else {
          process.stdout.write(
            `${summary.predicted} of ${summary.total} images predicted, ${summary.positives} with pneumothorax, ` +
              `${summary.notAssessed} not assessed${notAssessedDetail(summary.notAssessedReasons)}, ` +
              `${summary.imagesPerSecond.toFixed(2)} images/s\n` +
              (summary.gate.enabled
                ? summary.gate.learned
                  ? ''
                  : 'input gate: header rules only (the bundle has no learned gate; `pneumo gate fit` adds one)\n'
                : 'input gate: OFF (--no-gate)\n') +
              `predictions: ${summary.predictionsFile}\nsubmission:  ${summary.submissionFile}\n`,
          );
        }
        return reportFailures(summary.failures);
      }),
    );
}
