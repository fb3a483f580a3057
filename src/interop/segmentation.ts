// A DICOM Segmentation (PS3.3 A.51) of one predicted mask: BINARY, one segment "Pneumothorax" (SNOMED
// CT), made AUTOMATICally by the bundle's algorithm, one bit-packed frame the size of the source image.
// SIIM films are single-frame CR/DX without a frame of reference, which dcmjs's SEG helper cannot
// describe, so the data set is built here with only the functional groups that apply: the segment
// number as the one dimension, the derivation from the source image, and the pixel spacing.
import type { Mask } from '../data/image.js';
import { packBits } from './bit-pack.js';
import { CODES, codeItem } from './codes.js';
import { commonModules, sourceReference, type Algorithm, type NewInstance } from './common-modules.js';
import type { Dataset } from './dcmjs.js';
import type { SourceImage } from './source-image.js';
import { newUid } from './uid.js';

export const SEGMENTATION_STORAGE = '1.2.840.10008.5.1.4.1.1.66.4';
export const SEGMENT_LABEL = 'Pneumothorax';
/** Recommended display colour of the segment: pneumo's overlay red, as scaled CIELab (PS3.3 C.10.7.1.1). */
const RECOMMENDED_CIELAB = [37593, 51031, 44414];

/** (0062,000B) Referenced Segment Number and (0062,000A) Segment Identification Sequence, as AT values. */
const REFERENCED_SEGMENT_NUMBER = 0x0062000b;
const SEGMENT_IDENTIFICATION_SEQUENCE = 0x0062000a;

export interface SegmentationOptions {
  source: SourceImage;
  mask: Mask;
  algorithm: Algorithm;
  instance: NewInstance;
  created: Date;
}

export function buildSegmentation(o: SegmentationOptions): Dataset {
  const { source, mask } = o;
  if (mask.width !== source.columns || mask.height !== source.rows)
    throw new Error(
      `${source.file}: mask ${mask.width}x${mask.height} does not match the image ${source.columns}x${source.rows}`,
    );
  const dimensionOrganizationUid = newUid();
  const shared: Dataset = {};
  // With a frame of reference the Pixel Measures macro also requires Slice Thickness; a projection
  // radiograph has no slice, so a nominal 1 mm is written then, and nothing without one.
  if (source.pixelSpacing)
    shared.PixelMeasuresSequence = [
      { PixelSpacing: source.pixelSpacing, ...(source.frameOfReferenceUid ? { SliceThickness: 1 } : {}) },
    ];
  const segment = {
    SegmentNumber: 1,
    SegmentLabel: SEGMENT_LABEL,
    SegmentDescription: 'Pneumothorax predicted by pneumo',
    SegmentedPropertyCategoryCodeSequence: [codeItem(CODES.morphologicallyAbnormalStructure)],
    SegmentedPropertyTypeCodeSequence: [codeItem(CODES.pneumothorax)],
    AnatomicRegionSequence: [codeItem(CODES.chest)],
    SegmentAlgorithmType: 'AUTOMATIC',
    SegmentAlgorithmName: o.algorithm.name,
    SegmentationAlgorithmIdentificationSequence: [
      {
        AlgorithmFamilyCodeSequence: [codeItem(CODES.artificialIntelligence)],
        AlgorithmName: o.algorithm.name,
        AlgorithmVersion: o.algorithm.version,
      },
    ],
    RecommendedDisplayCIELabValue: RECOMMENDED_CIELAB,
  };
  const frame = {
    FrameContentSequence: [{ DimensionIndexValues: [1] }],
    SegmentIdentificationSequence: [{ ReferencedSegmentNumber: 1 }],
    DerivationImageSequence: [
      {
        DerivationCodeSequence: [codeItem(CODES.segmentation)],
        SourceImageSequence: [
          { ...sourceReference(source), PurposeOfReferenceCodeSequence: [codeItem(CODES.sourceImageForProcessing)] },
        ],
      },
    ],
  };
  const dataset: Dataset = {
    ...commonModules(source, { ...o, sopClassUid: SEGMENTATION_STORAGE, modality: 'SEG' }),
    ImageType: ['DERIVED', 'PRIMARY'],
    ContentLabel: 'PNEUMOTHORAX',
    ContentDescription: 'Pneumothorax segmentation',
    ContentCreatorName: '',
    PatientOrientation: '',
    SegmentationType: 'BINARY',
    SegmentsOverlap: 'NO',
    SegmentSequence: [segment],
    SamplesPerPixel: 1,
    PhotometricInterpretation: 'MONOCHROME2',
    Rows: source.rows,
    Columns: source.columns,
    BitsAllocated: 1,
    BitsStored: 1,
    HighBit: 0,
    PixelRepresentation: 0,
    LossyImageCompression: '00',
    NumberOfFrames: 1,
    DimensionOrganizationSequence: [{ DimensionOrganizationUID: dimensionOrganizationUid }],
    DimensionIndexSequence: [
      {
        DimensionOrganizationUID: dimensionOrganizationUid,
        DimensionIndexPointer: REFERENCED_SEGMENT_NUMBER,
        FunctionalGroupPointer: SEGMENT_IDENTIFICATION_SEQUENCE,
        DimensionDescriptionLabel: 'Segment Number',
      },
    ],
    SharedFunctionalGroupsSequence: [shared],
    PerFrameFunctionalGroupsSequence: [frame],
    ReferencedSeriesSequence: [
      { SeriesInstanceUID: source.seriesInstanceUid, ReferencedInstanceSequence: [sourceReference(source)] },
    ],
    PixelData: [packBits(mask.data).buffer],
    _vrMap: { PixelData: 'OB' },
  };
  if (source.frameOfReferenceUid) {
    dataset.FrameOfReferenceUID = source.frameOfReferenceUid;
    dataset.PositionReferenceIndicator = '';
  }
  return dataset;
}
