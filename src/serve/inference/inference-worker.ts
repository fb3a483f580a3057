// Entry point of an inference child process (process-pool.ts forks it): loads the bundle once, then
// runs one job at a time from the parent over IPC: read the stored DICOM, predict, write the overlay
// and the mask PNG (atomically: a killed worker leaves no half-written picture), and send back the
// numbers. Exits when the parent goes away, so a killed service leaves no orphans computing.
import { rename, writeFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { readImageWithMeta } from '../../data/image-io.js';
import { Predictor } from '../../pipeline/predictor.js';
import { parseRuntime } from '../../pipeline/model-engine.js';
import { DEFAULT_OPERATING_POINT, isOperatingPointName } from '../../pipeline/bundle-operating-point.js';
import { overlayBanner, safeFileStem } from '../../pipeline/predict-files.js';
import { modelIdentity, type ModelIdentity } from '../../pipeline/model-identity.js';
import { PREDICTION_COLOR, renderMaskPng, renderOverlayPng } from '../../pipeline/overlay.js';
import { measurePneumothorax } from '../../pipeline/pneumothorax-size.js';
import type { InferenceJob, InferenceOutput } from './job-runner.js';
import type { GateSettings } from '../../pipeline/input-gate.js';

export type ParentMessage = { type: 'job'; id: number; job: InferenceJob };
export type WorkerMessage =
  | { type: 'ready' }
  | { type: 'done'; id: number; output: InferenceOutput }
  | { type: 'failed'; id: number; reason: string }
  | { type: 'fatal'; reason: string };

const send = (message: WorkerMessage) => process.send!(message);

async function writeAtomic(file: string, bytes: Uint8Array): Promise<void> {
  const temporary = `${file}.${process.pid}.tmp`;
  try {
    await writeFile(temporary, bytes);
    await rename(temporary, file);
  } catch (err) {
    await rm(temporary, { force: true });
    throw err;
  }
}

async function runJob(predictor: Predictor, model: ModelIdentity, job: InferenceJob): Promise<InferenceOutput> {
  const start = performance.now();
  const { image, meta } = await readImageWithMeta(job.dicomFile);
  const read = performance.now() - start;
  const [p] = predictor.predict([image], [meta]);
  const writeStart = performance.now();
  const spacing = meta?.pixelSpacing ?? null;
  const cm2 = spacing ? (p.area * spacing[0] * spacing[1]) / 100 : null;
  const stem = safeFileStem(job.uid);
  const overlayFile = `${stem}.overlay.png`;
  const maskFile = p.decision ? `${stem}.mask.png` : null;
  const layers = p.decision ? [{ mask: p.mask, color: PREDICTION_COLOR }] : [];
  const size = p.decision ? measurePneumothorax(p.mask, spacing) : null;
  const banner = overlayBanner(p, cm2, model, size);
  await writeAtomic(path.join(job.outDir, overlayFile), await renderOverlayPng(image, layers, banner));
  if (maskFile) await writeAtomic(path.join(job.outDir, maskFile), await renderMaskPng(p.mask));
  return {
    status: p.status,
    gate: p.gate,
    probability: p.probability,
    probabilityUncalibrated: p.probabilityUncalibrated,
    calibrated: p.calibrated,
    decision: p.decision,
    segmented: p.segmented,
    thresholds: { ...predictor.thresholds },
    rle: p.rle,
    areaPixels: p.area,
    pixelSpacing: spacing,
    bbox: p.bbox,
    size,
    maskFile,
    overlayFile,
    timingsMs: { read, ...p.timings, write: performance.now() - writeStart },
  };
}

async function main(): Promise<void> {
  const [bundleDir, threadsText, runtimeText, ttaText, pointText, gateText] = process.argv.slice(2);
  process.on('disconnect', () => process.exit(0));
  let predictor: Predictor;
  try {
    predictor = await Predictor.load(bundleDir, {
      threads: Number(threadsText) || 1,
      runtime: parseRuntime(runtimeText ?? 'libtorch'),
      tta: ttaText === 'hflip' ? 'hflip' : 'none',
      operatingPoint: pointText && isOperatingPointName(pointText) ? pointText : DEFAULT_OPERATING_POINT,
      gate: gateText ? (JSON.parse(gateText) as GateSettings) : undefined,
    });
  } catch (err) {
    send({ type: 'fatal', reason: (err as Error).message });
    process.exit(1);
  }
  const model = modelIdentity(predictor.bundle.manifest);
  // One job at a time: the parent sends the next only after this one's answer.
  process.on('message', (message: ParentMessage) => {
    if (message.type !== 'job') return;
    runJob(predictor, model, message.job).then(
      (output) => send({ type: 'done', id: message.id, output }),
      (err: Error) => send({ type: 'failed', id: message.id, reason: err.message }),
    );
  });
  send({ type: 'ready' });
}

await main();
