// A Comprehensive SR of one prediction, laid out as a TID 1500 Imaging Measurement Report: the
// device that observed (pneumo, the bundle's algorithm), the procedure (a plain chest X-ray), an image
// library holding the source image, and one measurement group with the finding (Pneumothorax),
// whether it is present, the classifier's probability and threshold, and the mask's area (mm² when the
// source gives the pixel spacing, pixels otherwise), referencing the source image and the SEG's segment.
// With the pixel spacing, a positive's size as clinicians grade it follows: the apex-to-cupola distance
// (ACCP) and the interpleural distance at the hilum (BTS) in mm, each with its method, and the grade.
import { CODES, codeItem, type Code } from './codes.js';
import { commonModules, type Algorithm, type NewInstance } from './common-modules.js';
import type { Dataset } from './dcmjs.js';
import { SEGMENTATION_STORAGE } from './segmentation.js';
import type { SourceImage } from './source-image.js';
import {
  codeContentItem,
  containerItem,
  imageItem,
  numItem,
  textItem,
  uidItem,
  type InstanceReference,
} from './sr-content.js';
import { newUid } from './uid.js';
import type { PneumothoraxSize } from '../pipeline/pneumothorax-size.js';

export const COMPREHENSIVE_SR_STORAGE = '1.2.840.10008.5.1.4.1.1.88.33';

/** Why the input gate refused the image: each reason in words, and the learned gate's score. */
export interface SrNotAssessed {
  reasons: string[];
  oodScore: number | null;
  threshold: number | null;
}

/** The finding an SR reports. */
export interface SrFinding {
  /** Set when the image was not assessed: the report says so and why, and states no finding. */
  notAssessed?: SrNotAssessed | null;
  present: boolean;
  probability: number;
  threshold: number;
  /** Probability and threshold are on the bundle's calibrated scale (temperature scaling); the report says so. */
  calibrated?: boolean;
  /** The bundle's operating point the decision was taken at ('triage', 'siim'), when named. */
  operatingPoint?: string;
  /** Mask pixels. */
  areaPixels: number;
  /** The ACCP and BTS measures; null for a negative or without pixel spacing. */
  size?: PneumothoraxSize | null;
}

function sizeItems(size: PneumothoraxSize): Dataset[] {
  const measured = (concept: Code, mm: number, method: Code) => ({
    ...numItem('CONTAINS', concept, mm, CODES.millimetre),
    ContentSequence: [codeContentItem('HAS CONCEPT MOD', CODES.measurementMethod, method)],
  });
  return [
    measured(CODES.apexToCupolaDistance, size.apexToCupolaMm, CODES.accpMethod),
    measured(CODES.interpleuralDistanceAtHilum, size.interpleuralMm, CODES.btsMethod),
    codeContentItem('CONTAINS', CODES.size, size.large ? CODES.large : CODES.small),
  ];
}

/** The operating point in words: which rule set the threshold the decision was taken at. */
export function operatingPointText(name: string): string {
  if (name === 'triage') return 'triage: the highest specificity whose recall on validation reaches the floor';
  if (name === 'siim') return 'siim: the thresholds with the best SIIM score on validation';
  return name;
}

export interface StructuredReportOptions {
  source: SourceImage;
  finding: SrFinding;
  /** The SEG written for the same prediction, when there is one. */
  segmentation: { seriesInstanceUid: string; sopInstanceUid: string } | null;
  algorithm: Algorithm;
  /** Device Observer UID: the same for every report of one pneumo process. */
  observerUid: string;
  instance: NewInstance;
  created: Date;
}

const SOURCE_OF_MEASUREMENT = { value: '121112', scheme: 'DCM', meaning: 'Source of Measurement' };
const SOURCE_SERIES_FOR_SEGMENTATION = { value: '121232', scheme: 'DCM', meaning: 'Source series for segmentation' };

function evidence(studyInstanceUid: string, seriesInstanceUid: string, ref: InstanceReference): Dataset {
  return {
    StudyInstanceUID: studyInstanceUid,
    ReferencedSeriesSequence: [
      {
        SeriesInstanceUID: seriesInstanceUid,
        ReferencedSOPSequence: [
          { ReferencedSOPClassUID: ref.sopClassUid, ReferencedSOPInstanceUID: ref.sopInstanceUid },
        ],
      },
    ],
  };
}

/** What the model says: present or absent, with the probability, threshold, area and size. */
function findingItems(finding: SrFinding, area: Dataset): Dataset[] {
  return [
    codeContentItem('CONTAINS', CODES.pneumothorax, finding.present ? CODES.present : CODES.absent),
    numItem('CONTAINS', CODES.probabilityOfFinding, finding.probability, CODES.unitless),
    numItem('CONTAINS', CODES.decisionThreshold, finding.threshold, CODES.unitless),
    ...(finding.operatingPoint
      ? [textItem('HAS CONCEPT MOD', CODES.operatingPoint, operatingPointText(finding.operatingPoint))]
      : []),
    ...(finding.calibrated
      ? [
          textItem(
            'HAS CONCEPT MOD',
            CODES.probabilityCalibration,
            'temperature scaling fitted on the validation split; probability and threshold are calibrated',
          ),
        ]
      : []),
    area,
    ...(finding.present && finding.size ? sizeItems(finding.size) : []),
  ];
}

/** An image the input gate refused: "not assessed" and why, and no probability, area or size. */
function notAssessedItems(n: SrNotAssessed): Dataset[] {
  return [
    codeContentItem('CONTAINS', CODES.pneumothorax, CODES.notAssessed),
    ...n.reasons.map((reason) => textItem('CONTAINS', CODES.reasonNotAssessed, reason)),
    ...(n.oodScore !== null && n.threshold !== null
      ? [
          numItem('CONTAINS', CODES.outOfDistributionScore, n.oodScore, CODES.unitless),
          numItem('CONTAINS', CODES.outOfDistributionThreshold, n.threshold, CODES.unitless),
        ]
      : []),
  ];
}

export function buildStructuredReport(o: StructuredReportOptions): Dataset {
  const { source, finding, segmentation, algorithm } = o;
  const sourceRef: InstanceReference = { sopClassUid: source.sopClassUid, sopInstanceUid: source.sopInstanceUid };
  const segmentRef: InstanceReference | null = segmentation
    ? { sopClassUid: SEGMENTATION_STORAGE, sopInstanceUid: segmentation.sopInstanceUid, segmentNumber: 1 }
    : null;
  const spacing = source.pixelSpacing;
  const area = spacing
    ? numItem('CONTAINS', CODES.area, finding.areaPixels * spacing[0] * spacing[1], CODES.squareMillimetre)
    : numItem('CONTAINS', CODES.area, finding.areaPixels, CODES.pixels);
  const notAssessed = finding.notAssessed ?? null;
  const group = containerItem('CONTAINS', CODES.measurementGroup, [
    textItem('HAS OBS CONTEXT', CODES.trackingIdentifier, 'Pneumothorax'),
    uidItem('HAS OBS CONTEXT', CODES.trackingUniqueIdentifier, newUid()),
    codeContentItem('CONTAINS', CODES.finding, CODES.pneumothorax),
    textItem('HAS CONCEPT MOD', CODES.algorithmName, algorithm.name),
    textItem('HAS CONCEPT MOD', CODES.algorithmVersion, algorithm.version),
    imageItem('CONTAINS', SOURCE_OF_MEASUREMENT, sourceRef),
    ...(segmentRef
      ? [
          imageItem('CONTAINS', CODES.referencedSegment, segmentRef),
          uidItem('CONTAINS', SOURCE_SERIES_FOR_SEGMENTATION, source.seriesInstanceUid),
        ]
      : []),
    ...(notAssessed ? notAssessedItems(notAssessed) : findingItems(finding, area)),
  ]);
  const content = [
    codeContentItem('HAS CONCEPT MOD', CODES.languageOfContent, CODES.englishUS),
    codeContentItem('HAS OBS CONTEXT', CODES.observerType, CODES.device),
    uidItem('HAS OBS CONTEXT', CODES.deviceObserverUid, o.observerUid),
    textItem('HAS OBS CONTEXT', CODES.deviceObserverName, 'pneumo'),
    textItem('HAS OBS CONTEXT', CODES.deviceObserverManufacturer, 'pneumo'),
    textItem('HAS OBS CONTEXT', CODES.deviceObserverModelName, algorithm.name),
    codeContentItem('HAS CONCEPT MOD', CODES.procedureReported, CODES.plainChestXray),
    containerItem('CONTAINS', CODES.imageLibrary, [
      containerItem('CONTAINS', CODES.imageLibraryGroup, [imageItem('CONTAINS', null, sourceRef)]),
    ]),
    containerItem('CONTAINS', CODES.imagingMeasurements, [group]),
  ];
  const dataset: Dataset = {
    ...commonModules(source, { ...o, sopClassUid: COMPREHENSIVE_SR_STORAGE, modality: 'SR' }),
    ReferencedPerformedProcedureStepSequence: [],
    CompletionFlag: 'COMPLETE',
    VerificationFlag: 'UNVERIFIED',
    PerformedProcedureCodeSequence: [],
    CurrentRequestedProcedureEvidenceSequence: [evidence(source.studyInstanceUid, source.seriesInstanceUid, sourceRef)],
    ValueType: 'CONTAINER',
    ConceptNameCodeSequence: [codeItem(CODES.imagingMeasurementReport)],
    ContinuityOfContent: 'SEPARATE',
    ContentTemplateSequence: [{ MappingResource: 'DCMR', TemplateIdentifier: '1500' }],
    ContentSequence: content,
  };
  if (segmentation && segmentRef)
    dataset.PertinentOtherEvidenceSequence = [
      evidence(source.studyInstanceUid, segmentation.seriesInstanceUid, segmentRef),
    ];
  return dataset;
}
