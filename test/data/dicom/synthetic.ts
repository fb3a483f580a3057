// Small DICOM files written with dcmjs, for the cases the public fixtures do not cover
// (multi-frame grayscale, windowing and LUT variants, odd age strings).
import dcmjs from 'dcmjs';

export type Attributes = Record<string, unknown>;

const { DicomDict, DicomMetaDictionary } = (dcmjs as unknown as { data: DcmjsData }).data;

interface DcmjsData {
  DicomDict: new (meta: unknown) => { dict: unknown; write(): ArrayBuffer };
  DicomMetaDictionary: { denaturalizeDataset(ds: Attributes): unknown };
}

/** A 16-bit unsigned MONOCHROME2 CR image of the given stored values, with `extra` attributes added or overriding. */
export function syntheticDicom(
  rows: number,
  columns: number,
  values: ArrayLike<number>,
  extra: Attributes = {},
): Uint8Array {
  const pixels = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) pixels[i] = values[i] & 0xffff;
  const dataSet: Attributes = {
    SOPClassUID: '1.2.840.10008.5.1.4.1.1.1',
    SOPInstanceUID: '1.2.826.0.1.3680043.8.498.1',
    Modality: 'CR',
    Rows: rows,
    Columns: columns,
    BitsAllocated: 16,
    BitsStored: 16,
    HighBit: 15,
    PixelRepresentation: 0,
    SamplesPerPixel: 1,
    PhotometricInterpretation: 'MONOCHROME2',
    PixelData: [pixels.buffer],
    _vrMap: { PixelData: 'OW' },
    ...extra,
  };
  const meta = {
    FileMetaInformationVersion: new Uint8Array([0, 1]).buffer,
    MediaStorageSOPClassUID: dataSet.SOPClassUID,
    MediaStorageSOPInstanceUID: dataSet.SOPInstanceUID,
    TransferSyntaxUID: '1.2.840.10008.1.2.1',
    ImplementationClassUID: '1.2.826.0.1.3680043.8.498',
  };
  const dict = new DicomDict(DicomMetaDictionary.denaturalizeDataset(meta));
  dict.dict = DicomMetaDictionary.denaturalizeDataset(dataSet);
  return new Uint8Array(dict.write());
}
