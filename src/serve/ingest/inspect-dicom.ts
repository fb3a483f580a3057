// What the service checks of an uploaded instance before it stores it: that it is DICOM, that pneumo
// can decode its pixels (the whole decode runs, so a corrupt JPEG stream is refused here, not found
// later by the worker), and that its SOP Instance UID is a valid UID. Returns the header fields the
// store keeps. Runs in a worker thread (dicom-pool.ts): decoding a 1024x1024 JPEG takes tens of ms.
import {
  decodeDicomBytes,
  DicomError,
  looksLikeDicom,
  parsePatientAge,
  type DicomErrorKind,
} from '../../data/dicom/index.js';
import { dicomString } from '../../data/dicom/meta.js';
import { parseDicomBytes } from '../../data/dicom/parse.js';
import { readDisplayParams } from '../../data/dicom/pixels.js';
import type { InstanceMeta } from '../store/store.js';
import { isValidUid } from '../uid.js';
import { FAILURE_REASON, type FailureReason } from './stow-response.js';

/**
 * An instance the service refuses: 400 for what is not (sound) DICOM, 422 for DICOM pneumo cannot use,
 * with the STOW-RS Failure Reason (PS3.18 Table I.2-2) and the instance's UIDs when its header reads.
 */
export class InstanceRejection extends Error {
  override name = 'InstanceRejection';
  constructor(
    readonly statusCode: 400 | 422,
    reason: string,
    readonly failureReason: FailureReason,
    readonly sopInstanceUid: string | null = null,
    readonly sopClassUid: string | null = null,
  ) {
    super(reason);
  }
}

function failureReasonOf(kind: DicomErrorKind): FailureReason {
  if (kind === 'unsupported-transfer-syntax') return FAILURE_REASON.transferSyntaxNotSupported;
  if (kind === 'colour' || kind === 'multi-frame') return FAILURE_REASON.processingFailure;
  return FAILURE_REASON.cannotUnderstand;
}

const UNUSABLE = new Set(['unsupported-transfer-syntax', 'colour', 'multi-frame']);

/** The SOP Instance and Class UIDs of a refused instance when its header can be read (for the PACS's log). */
function identify(bytes: Uint8Array, name: string): { sopInstanceUid: string | null; sopClassUid: string | null } {
  try {
    const { dataSet } = parseDicomBytes(bytes, name, { untilPixelData: true });
    const valid = (value: string | null) => (value && isValidUid(value) ? value : null);
    return {
      sopInstanceUid: valid(dicomString(dataSet, 'x00080018')),
      sopClassUid: valid(dicomString(dataSet, 'x00080016')),
    };
  } catch {
    return { sopInstanceUid: null, sopClassUid: null };
  }
}

export async function inspectDicom(bytes: Uint8Array, name: string): Promise<InstanceMeta> {
  if (!looksLikeDicom(bytes))
    throw new InstanceRejection(400, 'not DICOM (no DICM preamble and no data set)', FAILURE_REASON.cannotUnderstand);
  let decoded;
  try {
    decoded = await decodeDicomBytes(bytes, name);
  } catch (err) {
    const { sopInstanceUid, sopClassUid } = identify(bytes, name);
    if (err instanceof DicomError)
      throw new InstanceRejection(
        UNUSABLE.has(err.kind) ? 422 : 400,
        err.reason,
        failureReasonOf(err.kind),
        sopInstanceUid,
        sopClassUid,
      );
    throw new InstanceRejection(
      400,
      `does not decode (${(err as Error).message})`,
      FAILURE_REASON.cannotUnderstand,
      sopInstanceUid,
      sopClassUid,
    );
  }
  const { meta } = decoded;
  if (!isValidUid(meta.imageId))
    throw new InstanceRejection(
      400,
      meta.imageId ? 'SOP Instance UID is not a valid UID (digits and dots, at most 64)' : 'no SOP Instance UID',
      FAILURE_REASON.cannotUnderstand,
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
    stationName: dicomString(dataSet, 'x00081010'),
    manufacturer: dicomString(dataSet, 'x00080070'),
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
