// What the service checks of an uploaded instance before it stores it: that it is DICOM, that pneumo
// can decode its pixels (the whole decode runs, so a corrupt JPEG stream is refused here, not found
// later by the worker), and that its SOP Instance UID is a valid UID. Returns the header fields the
// store keeps. Runs in a worker thread (dicom-pool.ts): decoding a 1024x1024 JPEG takes tens of ms.
import { decodeDicomBytes, DicomError, looksLikeDicom, parsePatientAge } from '../../data/dicom/index.js';
import { dicomString } from '../../data/dicom/meta.js';
import { parseDicomBytes } from '../../data/dicom/parse.js';
import { readDisplayParams } from '../../data/dicom/pixels.js';
import type { InstanceMeta } from '../store/store.js';
import { isValidUid } from '../uid.js';

/** An instance the service refuses: 400 for what is not (sound) DICOM, 422 for DICOM pneumo cannot use. */
export class InstanceRejection extends Error {
  override name = 'InstanceRejection';
  constructor(
    readonly statusCode: 400 | 422,
    reason: string,
  ) {
    super(reason);
  }
}

const UNUSABLE = new Set(['unsupported-transfer-syntax', 'colour', 'multi-frame']);

export async function inspectDicom(bytes: Uint8Array, name: string): Promise<InstanceMeta> {
  if (!looksLikeDicom(bytes)) throw new InstanceRejection(400, 'not DICOM (no DICM preamble and no data set)');
  let decoded;
  try {
    decoded = await decodeDicomBytes(bytes, name);
  } catch (err) {
    if (err instanceof DicomError) throw new InstanceRejection(UNUSABLE.has(err.kind) ? 422 : 400, err.reason);
    throw new InstanceRejection(400, `does not decode (${(err as Error).message})`);
  }
  const { meta } = decoded;
  if (!isValidUid(meta.imageId))
    throw new InstanceRejection(
      400,
      meta.imageId ? 'SOP Instance UID is not a valid UID (digits and dots, at most 64)' : 'no SOP Instance UID',
    );
  const { dataSet } = parseDicomBytes(bytes, name, { untilPixelData: true });
  const display = readDisplayParams(dataSet, meta.pixelRepresentation, meta.photometricInterpretation);
  return {
    uid: meta.imageId,
    studyUid: dicomString(dataSet, 'x0020000d'),
    seriesUid: dicomString(dataSet, 'x0020000e'),
    sopClassUid: dicomString(dataSet, 'x00080016'),
    patientId: dicomString(dataSet, 'x00100020'),
    patientName: dicomString(dataSet, 'x00100010'),
    patientSex: meta.patientSex,
    patientAge: parsePatientAge(dicomString(dataSet, 'x00101010')),
    studyDate: dicomString(dataSet, 'x00080020'),
    studyTime: dicomString(dataSet, 'x00080030'),
    accessionNumber: dicomString(dataSet, 'x00080050'),
    studyDescription: dicomString(dataSet, 'x00081030'),
    modality: meta.modality,
    viewPosition: meta.viewPosition,
    rows: meta.rows,
    columns: meta.columns,
    pixelSpacing: meta.pixelSpacing,
    bitsAllocated: meta.bitsAllocated,
    bitsStored: meta.bitsStored || meta.bitsAllocated,
    pixelRepresentation: meta.pixelRepresentation,
    photometricInterpretation: meta.photometricInterpretation,
    transferSyntaxUid: meta.transferSyntaxUid,
    windowCenter: display.window?.center ?? null,
    windowWidth: display.window?.width ?? null,
    rescaleSlope: display.rescaleSlope,
    rescaleIntercept: display.rescaleIntercept,
  };
}
