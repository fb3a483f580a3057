// A Secondary Capture (PS3.3 A.8.1) of the titled overlay: the picture a reader sees in predict's
// overlay PNG (the film with the title band added above it, so it is taller than the source), as RGB
// in the source's study, with the annotation declared burned in. Conversion Type
// WSD (workstation): it is made by software from another image, not digitised from film.
import { commonModules, sourceReference, type Algorithm, type NewInstance } from './common-modules.js';
import type { Dataset } from './dcmjs.js';
import type { SourceImage } from './source-image.js';

export const SECONDARY_CAPTURE_STORAGE = '1.2.840.10008.5.1.4.1.1.7';

export interface SecondaryCaptureOptions {
  source: SourceImage;
  /** Interleaved RGB bytes, width x height x 3 (height includes the title band). */
  rgb: Uint8Array;
  width: number;
  height: number;
  algorithm: Algorithm;
  instance: NewInstance;
  created: Date;
}

export function buildSecondaryCapture(o: SecondaryCaptureOptions): Dataset {
  const { width, height } = o;
  if (o.rgb.length !== width * height * 3)
    throw new Error(
      `${o.source.file}: overlay has ${o.rgb.length} bytes, ${width}x${height} RGB needs ${width * height * 3}`,
    );
  // OB values have even length: an odd pixel count leaves one byte of padding.
  const pixels = new Uint8Array(o.rgb.length + (o.rgb.length % 2));
  pixels.set(o.rgb);
  return {
    ...commonModules(o.source, { ...o, sopClassUid: SECONDARY_CAPTURE_STORAGE, modality: 'OT' }),
    // Type 2C in General Series for paired body parts; a chest film has none, but checkers ask for it.
    Laterality: '',
    ConversionType: 'WSD',
    ImageType: ['DERIVED', 'SECONDARY'],
    PatientOrientation: '',
    DerivationDescription:
      `Pneumothorax prediction overlay by ${o.algorithm.name} ${o.algorithm.version}: predicted mask in colour, decision and probability in a title band above the image. NOT FOR DIAGNOSTIC USE`.slice(
        0,
        1024,
      ),
    ImageComments: 'NOT FOR DIAGNOSTIC USE',
    SourceImageSequence: [sourceReference(o.source)],
    BurnedInAnnotation: 'YES',
    SamplesPerPixel: 3,
    PhotometricInterpretation: 'RGB',
    PlanarConfiguration: 0,
    Rows: height,
    Columns: width,
    BitsAllocated: 8,
    BitsStored: 8,
    HighBit: 7,
    PixelRepresentation: 0,
    LossyImageCompression: '00',
    PixelData: [pixels.buffer],
    _vrMap: { PixelData: 'OB' },
  };
}
