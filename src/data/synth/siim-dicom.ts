// A synthetic image as a DICOM file with the header the SIIM-ACR files carry (Secondary Capture, CR,
// 8-bit MONOCHROME2, bare-number PatientAge, 'view: PA' series description, dates blanked to
// 19010101), and pixel data either JPEG baseline in one fragment like the real files or native.
import sharp from 'sharp';
import {
  EXPLICIT_VR_LITTLE_ENDIAN,
  JPEG_BASELINE,
  writeDicomFile,
  type DicomElement,
  type EncapsulatedPixelData,
} from './dicom-writer.js';
import type { SynthMetadata } from './metadata.js';
import type { SynthTransferSyntax } from './options.js';

const SECONDARY_CAPTURE = '1.2.840.10008.5.1.4.1.1.7';
/** pneumo's implementation class UID: a fixed UUID-derived (2.25) UID. */
const IMPLEMENTATION_CLASS_UID = '2.25.239571830612887127520478469325166543641';
const IMPLEMENTATION_VERSION = 'PNEUMO_SYNTH_1';

/** JPEG baseline (process 1), one grey component. sharp/libjpeg-turbo output is deterministic. */
export async function encodeJpegBaseline(pixels: Uint8Array, size: number, quality: number): Promise<Uint8Array> {
  return sharp(pixels, { raw: { width: size, height: size, channels: 1 } })
    .toColourspace('b-w')
    .jpeg({ quality, progressive: false, chromaSubsampling: '4:4:4', mozjpeg: false })
    .toBuffer();
}

function formatDecimal(value: number): string {
  const text = String(value);
  return text.length <= 16 ? text : value.toPrecision(10).replace(/0+$/, '');
}

export async function siimDicom(
  metadata: SynthMetadata,
  pixels: Uint8Array,
  size: number,
  transferSyntax: SynthTransferSyntax,
  jpegQuality: number,
  /** More header elements (a station name, a manufacturer), any order. */
  extra: readonly DicomElement[] = [],
): Promise<Uint8Array> {
  const jpeg = transferSyntax === 'jpeg';
  const spacing = formatDecimal(metadata.pixelSpacing);
  const elements: (DicomElement | EncapsulatedPixelData)[] = [
    { tag: 0x00080005, vr: 'CS', value: 'ISO_IR 100' },
    { tag: 0x00080016, vr: 'UI', value: SECONDARY_CAPTURE },
    { tag: 0x00080018, vr: 'UI', value: metadata.sopInstanceUid },
    { tag: 0x00080020, vr: 'DA', value: '19010101' },
    { tag: 0x00080030, vr: 'TM', value: '000000.00' },
    { tag: 0x00080050, vr: 'SH', value: '' },
    { tag: 0x00080060, vr: 'CS', value: 'CR' },
    { tag: 0x00080064, vr: 'CS', value: 'WSD' },
    { tag: 0x00080090, vr: 'PN', value: '' },
    { tag: 0x0008103e, vr: 'LO', value: `view: ${metadata.viewPosition}` },
    { tag: 0x00100010, vr: 'PN', value: metadata.patientId },
    { tag: 0x00100020, vr: 'LO', value: metadata.patientId },
    { tag: 0x00100030, vr: 'DA', value: '' },
    { tag: 0x00100040, vr: 'CS', value: metadata.patientSex },
    { tag: 0x00101010, vr: 'AS', value: metadata.patientAge },
    { tag: 0x00180015, vr: 'CS', value: 'CHEST' },
    { tag: 0x00185101, vr: 'CS', value: metadata.viewPosition },
    { tag: 0x0020000d, vr: 'UI', value: metadata.studyInstanceUid },
    { tag: 0x0020000e, vr: 'UI', value: metadata.seriesInstanceUid },
    { tag: 0x00200010, vr: 'SH', value: '' },
    { tag: 0x00200011, vr: 'IS', value: '1' },
    { tag: 0x00200013, vr: 'IS', value: '1' },
    { tag: 0x00200020, vr: 'CS', value: '' },
    { tag: 0x00280002, vr: 'US', value: 1 },
    { tag: 0x00280004, vr: 'CS', value: 'MONOCHROME2' },
    { tag: 0x00280010, vr: 'US', value: size },
    { tag: 0x00280011, vr: 'US', value: size },
    { tag: 0x00280030, vr: 'DS', value: `${spacing}\\${spacing}` },
    { tag: 0x00280100, vr: 'US', value: 8 },
    { tag: 0x00280101, vr: 'US', value: 8 },
    { tag: 0x00280102, vr: 'US', value: 7 },
    { tag: 0x00280103, vr: 'US', value: 0 },
  ];
  elements.push(...extra);
  elements.sort((a, b) => a.tag - b.tag);
  if (jpeg) {
    elements.push({ tag: 0x00282110, vr: 'CS', value: '01' }, { tag: 0x00282114, vr: 'CS', value: 'ISO_10918_1' });
    elements.push({
      tag: 0x7fe00010,
      encapsulated: true,
      fragments: [await encodeJpegBaseline(pixels, size, jpegQuality)],
    });
  } else {
    elements.push({ tag: 0x7fe00010, vr: 'OB', value: pixels });
  }
  return writeDicomFile(
    {
      mediaStorageSopClassUid: SECONDARY_CAPTURE,
      mediaStorageSopInstanceUid: metadata.sopInstanceUid,
      transferSyntaxUid: jpeg ? JPEG_BASELINE : EXPLICIT_VR_LITTLE_ENDIAN,
      implementationClassUid: IMPLEMENTATION_CLASS_UID,
      implementationVersionName: IMPLEMENTATION_VERSION,
    },
    elements,
  );
}
