// The DICOM objects of one prediction, as IHE AI Results has a viewer expect them next to the study:
// a Segmentation of the mask, a Secondary Capture of the titled overlay, and an SR that states the
// finding and references both the source image and the SEG. A negative gets no SEG unless asked for
// one with an empty frame; it still gets its SC and SR (a reader wants to see that it was looked at).
// An image the input gate refused gets no SEG at all: its SC carries the "not assessed" banner and its
// SR says not assessed and why, with no finding.
import type { GrayImage } from '../data/image.js';
import { PREDICTION_COLOR, renderOverlayRgb, type Banner } from '../pipeline/overlay.js';
import { measurePneumothorax } from '../pipeline/pneumothorax-size.js';
import type { Prediction } from '../pipeline/predictor.js';
import { gateReasonText } from '../pipeline/gate-rules.js';
import { newInstance, type Algorithm } from './common-modules.js';
import { writeDataset } from './dcmjs.js';
import { buildSecondaryCapture, SECONDARY_CAPTURE_STORAGE } from './secondary-capture.js';
import { buildSegmentation, SEGMENTATION_STORAGE } from './segmentation.js';
import type { SourceImage } from './source-image.js';
import { buildStructuredReport, COMPREHENSIVE_SR_STORAGE } from './structured-report.js';
import { isOperatingPointName } from '../pipeline/bundle-operating-point.js';

export type EmptySegmentation = 'skip' | 'empty-frame';
export type ResultKind = 'seg' | 'sc' | 'sr';

export interface ResultObject {
  kind: ResultKind;
  sopClassUid: string;
  sopInstanceUid: string;
  seriesInstanceUid: string;
  studyInstanceUid: string;
  /** The Part 10 file. */
  bytes: Uint8Array;
}

/** Series numbers of pneumo's result series: high, so that they sort after the acquired images. */
export const RESULT_SERIES = {
  seg: { number: 9001, description: 'pneumo pneumothorax segmentation' },
  sc: { number: 9002, description: 'pneumo pneumothorax overlay' },
  sr: { number: 9003, description: 'pneumo pneumothorax report' },
} as const;

export interface ResultObjectsOptions {
  source: SourceImage;
  /** The displayed image the prediction was made on (its size is the source's). */
  image: GrayImage;
  prediction: Pick<Prediction, 'probability' | 'threshold' | 'decision' | 'mask' | 'area'> &
    Partial<Pick<Prediction, 'calibrated' | 'operatingPoint' | 'status' | 'gate'>>;
  /** The overlay's title banner, as predict draws it. */
  banner: Banner;
  algorithm: Algorithm;
  /** Device Observer UID of the SR (deviceObserverUid()). */
  observerUid: string;
  /** What a negative gets: no SEG (default) or a SEG with an empty frame. */
  emptySegmentation?: EmptySegmentation;
  created?: Date;
}

export async function buildResultObjects(o: ResultObjectsOptions): Promise<ResultObject[]> {
  const { source, image, prediction } = o;
  if (image.width !== source.columns || image.height !== source.rows)
    throw new Error(
      `${source.file}: image ${image.width}x${image.height} does not match its header ${source.columns}x${source.rows}`,
    );
  const created = o.created ?? new Date();
  const common = { source, algorithm: o.algorithm, created };
  const objects: ResultObject[] = [];
  const add = (kind: ResultKind, sopClassUid: string, dataset: Record<string, unknown>) => {
    objects.push({
      kind,
      sopClassUid,
      sopInstanceUid: dataset.SOPInstanceUID as string,
      seriesInstanceUid: dataset.SeriesInstanceUID as string,
      studyInstanceUid: source.studyInstanceUid,
      bytes: writeDataset(dataset),
    });
  };
  const notAssessed = prediction.status === 'not-assessed';
  const finding = notAssessed ? false : prediction.decision;
  let segmentation: { seriesInstanceUid: string; sopInstanceUid: string } | null = null;
  if (!notAssessed && (finding || o.emptySegmentation === 'empty-frame')) {
    const instance = newInstance(RESULT_SERIES.seg.number, RESULT_SERIES.seg.description);
    add('seg', SEGMENTATION_STORAGE, buildSegmentation({ ...common, mask: prediction.mask, instance }));
    segmentation = instance;
  }
  const picture = await renderOverlayRgb(
    image,
    finding ? [{ mask: prediction.mask, color: PREDICTION_COLOR }] : [],
    o.banner,
  );
  add(
    'sc',
    SECONDARY_CAPTURE_STORAGE,
    buildSecondaryCapture({
      ...common,
      rgb: picture.rgb,
      width: picture.width,
      height: picture.height,
      instance: newInstance(RESULT_SERIES.sc.number, RESULT_SERIES.sc.description),
    }),
  );
  add(
    'sr',
    COMPREHENSIVE_SR_STORAGE,
    buildStructuredReport({
      ...common,
      finding: {
        present: finding,
        probability: prediction.probability,
        threshold: prediction.threshold,
        calibrated: prediction.calibrated ?? false,
        ...(prediction.operatingPoint && isOperatingPointName(prediction.operatingPoint)
          ? { operatingPoint: prediction.operatingPoint }
          : {}),
        areaPixels: finding ? prediction.area : 0,
        size: finding ? measurePneumothorax(prediction.mask, source.pixelSpacing) : null,
        notAssessed:
          notAssessed && prediction.gate
            ? {
                reasons: prediction.gate.reasons.map((r) => gateReasonText(r)),
                oodScore: prediction.gate.oodScore,
                threshold: prediction.gate.threshold,
              }
            : null,
      },
      segmentation,
      observerUid: o.observerUid,
      instance: newInstance(RESULT_SERIES.sr.number, RESULT_SERIES.sr.description),
    }),
  );
  return objects;
}
