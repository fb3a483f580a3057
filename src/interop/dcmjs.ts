// The slice of dcmjs that interop uses, typed (the package ships no declarations): Part 10 reading
// into dcmjs's "naturalized" form (attributes by keyword, sequences as arrays of objects) and
// writing that form back. dcmjs reads every character set into UTF-8 and writes UTF-8, so every
// object written says ISO_IR 192.
import { createRequire } from 'node:module';

/** A data set by DICOM keyword, as dcmjs naturalizes it; `_vrMap` names VRs dcmjs cannot infer. */
export type Dataset = Record<string, unknown>;

interface DcmjsData {
  DicomMessage: {
    readFile(
      buffer: ArrayBuffer,
      options?: { untilTag?: string; ignoreErrors?: boolean },
    ): {
      meta: Record<string, unknown>;
      dict: Record<string, unknown>;
    };
  };
  DicomDict: new (meta: Record<string, unknown>) => { dict: Record<string, unknown>; write(): ArrayBuffer };
  DicomMetaDictionary: {
    naturalizeDataset(dict: Record<string, unknown>): Dataset;
    denaturalizeDataset(dataset: Dataset): Record<string, unknown>;
  };
  ValueRepresentation?: unknown;
}

const dcmjs = createRequire(import.meta.url)('dcmjs') as { data: DcmjsData; log?: { setLevel?(l: string): void } };
// dcmjs logs every value that breaks its VR rules (SIIM's two-character ages) on stderr; source-image.ts
// repairs or drops such values itself.
dcmjs.log?.setLevel?.('silent');

export const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';
export const UTF8 = 'ISO_IR 192';
/** pneumo's implementation class: a UID under 2.25 made once from a UUID, never changed. */
export const IMPLEMENTATION_CLASS_UID = '2.25.95701446382697326670737456147407062108';
export const IMPLEMENTATION_VERSION_NAME = 'PNEUMO';

function arrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

/** The data set of a Part 10 file (its header only when `untilPixelData`). Throws on bytes dcmjs cannot parse. */
export function readDataset(bytes: Uint8Array, options: { untilPixelData?: boolean } = {}): Dataset {
  const message = dcmjs.data.DicomMessage.readFile(
    arrayBuffer(bytes),
    options.untilPixelData ? { untilTag: '7FE00010' } : {},
  );
  const dataset = dcmjs.data.DicomMetaDictionary.naturalizeDataset(message.dict);
  if (options.untilPixelData) delete dataset.PixelData;
  return dataset;
}

/** A Part 10 file (preamble, file meta, data set) in Explicit VR Little Endian. */
export function writeDataset(dataset: Dataset): Uint8Array {
  const sopClass = dataset.SOPClassUID;
  const sopInstance = dataset.SOPInstanceUID;
  if (typeof sopClass !== 'string' || typeof sopInstance !== 'string')
    throw new Error('a data set to write needs SOPClassUID and SOPInstanceUID');
  const meta = {
    FileMetaInformationVersion: new Uint8Array([0, 1]).buffer,
    MediaStorageSOPClassUID: sopClass,
    MediaStorageSOPInstanceUID: sopInstance,
    TransferSyntaxUID: EXPLICIT_VR_LITTLE_ENDIAN,
    ImplementationClassUID: IMPLEMENTATION_CLASS_UID,
    ImplementationVersionName: IMPLEMENTATION_VERSION_NAME,
  };
  const { DicomDict, DicomMetaDictionary } = dcmjs.data;
  const dict = new DicomDict(DicomMetaDictionary.denaturalizeDataset(meta));
  dict.dict = DicomMetaDictionary.denaturalizeDataset(dataset);
  return new Uint8Array(dict.write());
}
