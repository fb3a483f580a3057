// SIIM sample films given the display steps a linear window cannot show, for the browser tests that
// check the reading room and the local page against the model-input contract's display step.
import { readFileSync } from 'node:fs';
import dcmjs from 'dcmjs';
import { readDicomStoredPixels } from '../../src/data/dicom/read.js';

export interface MadeFilm {
  bytes: Uint8Array;
  uid: string;
}

type Dataset = Record<string, unknown>;

/** Reads a film with dcmjs, lets `change` edit its data set, gives it new UIDs (`.suffix`) and writes it. */
function rewritten(bytes: Uint8Array, suffix: string, change: (dataset: Dataset, meta: Dataset) => void): MadeFilm {
  const { DicomMessage, DicomMetaDictionary, DicomDict } = dcmjs.data;
  const message = DicomMessage.readFile(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
  const dataset = DicomMetaDictionary.naturalizeDataset(message.dict) as Dataset;
  const meta = DicomMetaDictionary.naturalizeDataset(message.meta) as Dataset;
  change(dataset, meta);
  for (const key of ['SOPInstanceUID', 'StudyInstanceUID', 'SeriesInstanceUID'])
    dataset[key] = `${dataset[key] as string}.${suffix}`;
  meta.MediaStorageSOPInstanceUID = dataset.SOPInstanceUID;
  const dict = new DicomDict(DicomMetaDictionary.denaturalizeDataset(meta));
  dict.dict = DicomMetaDictionary.denaturalizeDataset(dataset);
  return { bytes: new Uint8Array(dict.write()), uid: dataset.SOPInstanceUID as string };
}

/**
 * A SIIM film (JPEG baseline, kept as it is) given a VOI LUT Sequence (a square-root curve over its
 * 8-bit values) and no window: the model's input goes through the LUT.
 */
export function voiLutFilm(bytes: Uint8Array): MadeFilm {
  const lut = Array.from({ length: 256 }, (_, v) => Math.round(65535 * Math.sqrt(v / 255)));
  return rewritten(bytes, '77', (dataset) => {
    dataset.VOILUTSequence = [
      { _vrMap: { LUTDescriptor: 'US', LUTData: 'US' }, LUTDescriptor: [256, 0, 16], LUTData: lut },
    ];
    delete dataset.WindowCenter;
    delete dataset.WindowWidth;
  });
}

/**
 * A SIIM film rewritten uncompressed as 12 bits stored in 16, MONOCHROME1 (stored = (255 - v) * 16),
 * through a Modality LUT Sequence (a power curve over the 4096 stored values) and a SIGMOID window
 * on the LUT's output: every step of the display transform that rescale and a linear window miss.
 */
export async function modalityLutFilm(file: string): Promise<MadeFilm> {
  const { stored } = await readDicomStoredPixels(file);
  const pixels = Uint16Array.from(stored.data, (v) => (255 - v) * 16);
  const lut = Array.from({ length: 4096 }, (_, v) => Math.round(4095 * (v / 4095) ** 0.6));
  return rewritten(new Uint8Array(readFileSync(file)), '78', (dataset, meta) => {
    meta.TransferSyntaxUID = '1.2.840.10008.1.2.1';
    Object.assign(dataset, {
      PhotometricInterpretation: 'MONOCHROME1',
      BitsAllocated: 16,
      BitsStored: 12,
      HighBit: 11,
      PixelRepresentation: 0,
      PixelData: [pixels.buffer],
      ModalityLUTSequence: [
        {
          _vrMap: { LUTDescriptor: 'US', LUTData: 'US' },
          LUTDescriptor: [4096, 0, 16],
          ModalityLUTType: 'US',
          LUTData: lut,
        },
      ],
      WindowCenter: 2300,
      WindowWidth: 2600,
      VOILUTFunction: 'SIGMOID',
    });
    delete dataset.RescaleSlope;
    delete dataset.RescaleIntercept;
    delete dataset.LossyImageCompression;
    delete dataset.LossyImageCompressionMethod;
    (dataset._vrMap as Record<string, string>).PixelData = 'OW';
  });
}
