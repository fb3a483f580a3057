// A prediction run over files: read (the next batch is read while the current one computes),
// predict in batches, and write per image ID.overlay.png, ID.mask.png (positives), a line of
// predictions.jsonl, and at the end submission.csv in SIIM format. An unreadable file is recorded
// with its reason and the run goes on; the caller reports failures and sets the exit code. The input
// gate (input-gate.ts) runs first: an image it refuses is `not-assessed`, a line of its own in
// predictions.jsonl with the reasons, not a failure and not a negative (it is left out of
// submission.csv). A DICOM whose pixels cannot be decoded but whose header the rules refuse (a colour
// or multi-frame image) is not assessed either, rather than failed.
import { createWriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { GrayImage } from '../data/image.js';
import { readImageWithMeta } from '../data/image-io.js';
import { readDicomHeader, type DicomMeta } from '../data/dicom/index.js';
import { gateOff, type AssessmentStatus, type GateOutcome, type GateSettings } from './input-gate.js';
import { notAssessedText } from './gate-rules.js';
import { writeLabelCsv } from '../data/labels.js';
import * as torch from '../torch/index.js';
import { collectInputs } from './input-files.js';
import type { OperatingPointName } from './bundle-manifest.js';
import { isOperatingPointName } from './bundle-operating-point.js';
import { modelIdentity, type ModelIdentity } from './model-identity.js';
import {
  NOT_FOR_DIAGNOSTIC_USE,
  renderMaskPng,
  renderOverlayPng,
  PREDICTION_COLOR,
  TITLE_NEGATIVE,
  TITLE_NOT_ASSESSED,
  TITLE_POSITIVE,
  type Banner,
} from './overlay.js';
import { measurePneumothorax, sizeText, type PneumothoraxSize } from './pneumothorax-size.js';
import { Predictor, type Prediction } from './predictor.js';
import { predictorSettings, type PredictorSettings } from './predictor-settings.js';
import { ttaName, type TtaName } from './tta.js';

export interface PredictFilesOptions extends PredictorSettings {
  /** Files, folders and `@list` files. */
  inputs: readonly string[];
  /** Further list files (--list). */
  listFiles?: readonly string[];
  bundle: string;
  out: string;
  /** Images per batch; default 4. */
  batchSize?: number;
  /** The bundle's operating point to run at: 'triage' (default) or 'siim' (for a Kaggle submission). */
  operatingPoint?: OperatingPointName;
  /** The input gate; on with the default rules unless told otherwise. */
  gate?: GateSettings;
  /**
   * Further outputs per predicted image, written by a layer above the pipeline (the DICOM objects of
   * src/interop); what it returns goes into the image's line of predictions.jsonl as `derived`. A
   * throw is recorded as a failure of that image; its prediction is kept.
   */
  derivedOutputs?: (item: PredictedImage) => Promise<Record<string, unknown>>;
  /** Called after each batch with the images done (predicted or failed) and the total. */
  onProgress?: (done: number, total: number) => void;
}

/** One predicted image, as derivedOutputs receives it. */
export interface PredictedImage {
  file: string;
  id: string;
  image: GrayImage;
  /** True for a DICOM input (its header is in the file). */
  isDicom: boolean;
  prediction: Prediction;
  /** The ACCP and BTS measures of a positive's mask (null without pixel spacing). */
  size: PneumothoraxSize | null;
  /** The overlay's title banner. */
  banner: Banner;
}

export interface PredictionFailure {
  file: string;
  reason: string;
}

/** One line of predictions.jsonl. */
export interface PredictionRecord {
  id: string;
  file: string;
  width: number;
  height: number;
  /** `not-assessed`: the input gate refused the image (gate.reasons); decision is null and nothing is a finding. */
  status: AssessmentStatus;
  gate: GateOutcome;
  /**
   * Calibrated with the bundle's temperature when `calibrated`, as the threshold beside it; else the
   * model's own. For a not-assessed image it is kept for audit only (null when its pixels could not be read).
   */
  probability: number | null;
  threshold: number;
  /** The model's own probability and the bundle's classifier threshold, on which the decision is taken. */
  probabilityUncalibrated: number | null;
  thresholdUncalibrated: number;
  calibrated: boolean;
  /** The test-time augmentation the prediction ran with. */
  tta: TtaName;
  /** The bundle's operating point the thresholds came from (bundle-operating-point.ts): triage, siim, thresholds (none named) or given. */
  operatingPoint: string;
  /** null for a not-assessed image: it was not looked at, which is not a negative. */
  decision: boolean | null;
  /** The classifier let the image through to the segmenter. */
  segmented: boolean;
  area: { pixels: number; cm2: number | null };
  /** [row, column] mm, from DICOM; null for PNG/JPEG or when absent. */
  pixelSpacing: [number, number] | null;
  bbox: { x: number; y: number; width: number; height: number } | null;
  /** The ACCP and BTS measures (src/pipeline/pneumothorax-size.ts); null for a negative or without spacing. */
  size: PneumothoraxSize | null;
  rle: string;
  /** null for a not-assessed image whose pixels could not be read. */
  overlay: string | null;
  mask: string | null;
  /** What derivedOutputs wrote for this image (absent without it). */
  derived?: Record<string, unknown>;
  /** Milliseconds per stage; batch stages shared equally among the batch's images. */
  timingsMs: { read: number } & Prediction['timings'] & { write: number };
}

export interface PredictFilesSummary {
  total: number;
  /** Images with a line in predictions.jsonl: assessed and not assessed. */
  predicted: number;
  positives: number;
  /** Images the input gate refused, and how many for each reason code. */
  notAssessed: number;
  notAssessedReasons: Record<string, number>;
  /** Whether the input gate ran (`--no-gate` turns it off), and whether the bundle has a learned gate. */
  gate: { enabled: boolean; learned: boolean };
  failures: PredictionFailure[];
  predictionsFile: string;
  submissionFile: string;
  seconds: number;
  imagesPerSecond: number;
  /** Engine compute threads the prediction ran with. */
  threads: number;
  /** The test-time augmentation every prediction ran with. */
  tta: TtaName;
}

interface ReadResult {
  file: string;
  image?: GrayImage;
  id?: string;
  pixelSpacing?: [number, number] | null;
  isDicom?: boolean;
  /** The DICOM header (null for PNG/JPEG). */
  meta?: DicomMeta | null;
  /** Set when the pixels could not be read but the header could: the gate may still refuse the image. */
  headerOnly?: boolean;
  readMs?: number;
  error?: string;
}

/** The ImageId of a file: its DICOM SOP Instance UID, else the file name without its extension. */
function idOf(file: string, dicomId: string | undefined): string {
  if (dicomId) return dicomId;
  return path.basename(file).replace(/\.(dcm|dicom|png|jpe?g)$/i, '');
}

async function readOne(file: string): Promise<ReadResult> {
  const start = performance.now();
  try {
    const { image, meta } = await readImageWithMeta(file);
    return {
      file,
      image,
      id: idOf(file, meta?.imageId),
      pixelSpacing: meta?.pixelSpacing ?? null,
      isDicom: meta !== null,
      meta,
      readMs: performance.now() - start,
    };
  } catch (err) {
    const error = (err as Error).message;
    // A DICOM whose pixels pneumo cannot read may still have a header the gate refuses.
    const meta = await readDicomHeader(file).catch(() => null);
    if (!meta) return { file, error };
    return {
      file,
      id: idOf(file, meta.imageId),
      pixelSpacing: meta.pixelSpacing,
      isDicom: true,
      meta,
      headerOnly: true,
      readMs: performance.now() - start,
      error,
    };
  }
}

const fixed = (v: number, digits: number) => v.toFixed(digits);

/** The overlay's title band: decision, probability, area and size, the model, and that it is not a diagnosis. */
export function overlayBanner(
  p: Pick<
    Prediction,
    'probability' | 'threshold' | 'probabilityUncalibrated' | 'calibrated' | 'decision' | 'segmented' | 'area'
  > &
    Partial<Pick<Prediction, 'operatingPoint' | 'status' | 'gate'>>,
  cm2: number | null,
  model: ModelIdentity,
  size: PneumothoraxSize | null = null,
): Banner {
  if (p.status === 'not-assessed' && p.gate)
    return {
      title: TITLE_NOT_ASSESSED,
      lines: [
        notAssessedText(p.gate.reasons),
        'no finding is reported for this image',
        `model ${model.name} · ${model.version}`,
        NOT_FOR_DIAGNOSTIC_USE,
      ],
      accent: '#f0c040',
    };
  const point = p.operatingPoint && isOperatingPointName(p.operatingPoint) ? `, ${p.operatingPoint} point` : '';
  const lines = [
    p.calibrated
      ? `calibrated probability ${fixed(p.probability, 3)} (threshold ${fixed(p.threshold, 2)}${point}; model's own ${fixed(p.probabilityUncalibrated, 3)})`
      : `probability ${fixed(p.probability, 3)} (threshold ${fixed(p.threshold, 2)}${point})`,
  ];
  if (p.decision)
    lines.push(`area ${p.area.toLocaleString('en-US')} px${cm2 === null ? '' : ` (${fixed(cm2, 2)} cm²)`}`);
  else if (p.segmented) lines.push('classifier positive, but no region passed the pixel threshold and minimum area');
  if (p.decision && size) lines.push(`${size.large ? 'LARGE: ' : ''}${sizeText(size)}`);
  lines.push(`model ${model.name} · ${model.version}`, NOT_FOR_DIAGNOSTIC_USE);
  return { title: p.decision ? TITLE_POSITIVE : TITLE_NEGATIVE, lines, accent: p.decision ? '#ff6b6b' : '#8fe08f' };
}

/** A file name from an image id (ids are UIDs; anything unsafe in a file name becomes `_`). */
export function safeFileStem(id: string): string {
  return id.replace(/[^A-Za-z0-9._-]/g, '_');
}

/** The line of an image whose pixels could not be read but whose header the gate refused. */
function headerOnlyRecord(r: ReadResult, gate: GateOutcome, predictor: Predictor): PredictionRecord {
  const t = predictor.thresholds;
  const meta = r.meta!;
  return {
    id: r.id!,
    file: r.file,
    width: meta.columns,
    height: meta.rows,
    status: 'not-assessed',
    gate,
    probability: null,
    threshold: t.classifier,
    probabilityUncalibrated: null,
    thresholdUncalibrated: t.classifier,
    calibrated: false,
    tta: ttaName(predictor.tta),
    operatingPoint: predictor.operatingPoint,
    decision: null,
    segmented: false,
    area: { pixels: 0, cm2: null },
    pixelSpacing: r.pixelSpacing ?? null,
    bbox: null,
    size: null,
    rle: '-1',
    overlay: null,
    mask: null,
    timingsMs: { read: r.readMs!, preprocess: 0, classify: 0, segment: 0, postprocess: 0, encode: 0, write: 0 },
  };
}

export async function predictFiles(options: PredictFilesOptions): Promise<PredictFilesSummary> {
  const started = performance.now();
  const batchSize = options.batchSize ?? 4;
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new RangeError(`batch size must be a positive integer, got ${batchSize}`);
  const { files, problems } = await collectInputs(options.inputs, options.listFiles);
  const failures: PredictionFailure[] = problems.map((p) => ({ file: p.input, reason: p.reason }));
  const out = path.resolve(options.out);
  await mkdir(out, { recursive: true });
  const predictionsFile = path.join(out, 'predictions.jsonl');
  const submissionFile = path.join(out, 'submission.csv');
  const predictor = await Predictor.load(options.bundle, {
    ...predictorSettings(options),
    operatingPoint: options.operatingPoint,
    gate: options.gate,
  });
  const model = modelIdentity(predictor.bundle.manifest);
  const jsonl = createWriteStream(predictionsFile, { flags: 'w' });
  const submission: { imageId: string; encodedPixels: string }[] = [];
  const idsSeen = new Map<string, string>();
  let predicted = 0;
  let positives = 0;
  let notAssessed = 0;
  const notAssessedReasons: Record<string, number> = {};
  const countNotAssessed = (gate: GateOutcome) => {
    notAssessed++;
    for (const reason of gate.reasons) {
      const code = reason.split(':')[0];
      notAssessedReasons[code] = (notAssessedReasons[code] ?? 0) + 1;
    }
  };
  const total = files.length;
  try {
    const batches: string[][] = [];
    for (let i = 0; i < files.length; i += batchSize) batches.push(files.slice(i, i + batchSize));
    let pending = batches.length > 0 ? Promise.all(batches[0].map(readOne)) : null;
    for (let b = 0; b < batches.length; b++) {
      const read = await pending!;
      pending = b + 1 < batches.length ? Promise.all(batches[b + 1].map(readOne)) : null;
      const usable: ReadResult[] = [];
      for (const r of read) {
        if (r.headerOnly && !idsSeen.has(r.id!)) {
          const gate = predictor.gate.enabled ? predictor.gateWithoutPixels(r.meta!) : gateOff();
          if (gate.reasons.length > 0) {
            idsSeen.set(r.id!, r.file);
            jsonl.write(JSON.stringify(headerOnlyRecord(r, gate, predictor)) + '\n');
            predicted++;
            countNotAssessed(gate);
            continue;
          }
        }
        if (r.error !== undefined) failures.push({ file: r.file, reason: r.error });
        else if (idsSeen.has(r.id!))
          failures.push({ file: r.file, reason: `image id ${r.id} was already predicted from ${idsSeen.get(r.id!)}` });
        else {
          idsSeen.set(r.id!, r.file);
          usable.push(r);
        }
      }
      if (usable.length > 0) {
        const predictions = predictor.predict(
          usable.map((r) => r.image!),
          usable.map((r) => r.meta ?? null),
        );
        await Promise.all(
          usable.map(async (r, k) => {
            const p = predictions[k];
            const writeStart = performance.now();
            const stem = safeFileStem(r.id!);
            const spacing = r.pixelSpacing ?? null;
            const cm2 = spacing ? (p.area * spacing[0] * spacing[1]) / 100 : null;
            const overlay = `${stem}.overlay.png`;
            const mask = p.decision ? `${stem}.mask.png` : null;
            const size = p.decision ? measurePneumothorax(p.mask, spacing) : null;
            const banner = overlayBanner(p, cm2, model, size);
            try {
              await writeFile(
                path.join(out, overlay),
                await renderOverlayPng(r.image!, p.decision ? [{ mask: p.mask, color: PREDICTION_COLOR }] : [], banner),
              );
              if (mask) await writeFile(path.join(out, mask), await renderMaskPng(p.mask));
            } catch (err) {
              failures.push({ file: r.file, reason: `outputs could not be written (${(err as Error).message})` });
              return;
            }
            let derived: Record<string, unknown> | undefined;
            if (options.derivedOutputs) {
              try {
                derived = await options.derivedOutputs({
                  file: r.file,
                  id: r.id!,
                  image: r.image!,
                  isDicom: r.isDicom ?? false,
                  prediction: p,
                  size,
                  banner,
                });
              } catch (err) {
                failures.push({ file: r.file, reason: (err as Error).message });
              }
            }
            const assessed = p.status === 'assessed';
            const record: PredictionRecord = {
              id: r.id!,
              file: r.file,
              width: r.image!.width,
              height: r.image!.height,
              status: p.status,
              gate: p.gate,
              probability: p.probability,
              threshold: p.threshold,
              probabilityUncalibrated: p.probabilityUncalibrated,
              thresholdUncalibrated: p.thresholdUncalibrated,
              calibrated: p.calibrated,
              tta: ttaName(predictor.tta),
              operatingPoint: p.operatingPoint,
              decision: assessed ? p.decision : null,
              segmented: p.segmented,
              area: { pixels: p.area, cm2 },
              pixelSpacing: spacing,
              bbox: p.bbox,
              size,
              rle: p.rle,
              overlay,
              mask,
              ...(derived ? { derived } : {}),
              timingsMs: { read: r.readMs!, ...p.timings, write: performance.now() - writeStart },
            };
            jsonl.write(JSON.stringify(record) + '\n');
            predicted++;
            if (!assessed) {
              countNotAssessed(p.gate);
              return;
            }
            submission.push({ imageId: r.id!, encodedPixels: p.rle });
            if (p.decision) positives++;
          }),
        );
      }
      options.onProgress?.(Math.min(total, (b + 1) * batchSize), total);
    }
  } finally {
    predictor.dispose();
    await new Promise<void>((resolve, reject) => jsonl.end((err?: Error | null) => (err ? reject(err) : resolve())));
  }
  await writeLabelCsv(submissionFile, submission);
  const seconds = (performance.now() - started) / 1000;
  return {
    total,
    predicted,
    positives,
    notAssessed,
    notAssessedReasons,
    gate: { enabled: predictor.gate.enabled, learned: predictor.oodModel !== null },
    failures,
    predictionsFile,
    submissionFile,
    seconds,
    imagesPerSecond: predicted / seconds,
    threads: torch.getNumThreads(),
    tta: ttaName(predictor.tta),
  };
}
