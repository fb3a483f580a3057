// The STOW-RS answer in the DICOM JSON model (PS3.18 10.5.3, Store Instances Response Module): the
// instances kept in Referenced SOP Sequence (0008,1199) with their Retrieve URL, the refused ones in
// Failed SOP Sequence (0008,1198), each with a Failure Reason (0008,1197) from PS3.18 Table I.2-2, so
// that the sending PACS logs why an instance was refused and not only that it was.

/** PS3.18 Table I.2-2, Store Instances Response Failure Reason values this service uses. */
export const FAILURE_REASON = {
  /** A7xx Refused: out of resources (no space left to store the instance). */
  outOfResources: 0xa700,
  /** Cxxx Error: cannot understand (not DICOM, corrupt, truncated, not application/dicom, a bad UID). */
  cannotUnderstand: 0xc000,
  /** C122 Referenced Transfer Syntax not supported. */
  transferSyntaxNotSupported: 0xc122,
  /** 0110 Processing failure: sound DICOM the service cannot process (colour, multi-frame), or a failed write. */
  processingFailure: 0x0110,
} as const;

export type FailureReason = (typeof FAILURE_REASON)[keyof typeof FAILURE_REASON];

export type DicomJsonAttribute = { vr: string; Value?: unknown[] };
export type DicomJsonDataSet = Record<string, DicomJsonAttribute>;

const TAG = {
  referencedSopClassUid: '00081150',
  referencedSopInstanceUid: '00081155',
  retrieveUrl: '00081190',
  failureReason: '00081197',
  failedSopSequence: '00081198',
  referencedSopSequence: '00081199',
} as const;

export interface KeptInstance {
  sopClassUid: string | null;
  sopInstanceUid: string;
  /** Absolute URL of the instance in this service. */
  url: string;
}

export interface FailedInstance {
  sopClassUid: string | null;
  sopInstanceUid: string | null;
  failureReason: FailureReason;
}

/** A UI attribute; with no Value when the UID is not known (PS3.18 F.2.5: an empty value). */
function uid(value: string | null): DicomJsonAttribute {
  return value ? { vr: 'UI', Value: [value] } : { vr: 'UI' };
}

/** The SOP Class and Instance of a sequence item (Referenced SOP Class / Instance UID). */
function referenced(instance: { sopClassUid: string | null; sopInstanceUid: string | null }): DicomJsonDataSet {
  return {
    [TAG.referencedSopClassUid]: uid(instance.sopClassUid),
    [TAG.referencedSopInstanceUid]: uid(instance.sopInstanceUid),
  };
}

/** The Store Instances Response as a DICOM JSON data set; a sequence with no item is left out. */
export function storeInstancesResponse(
  kept: readonly KeptInstance[],
  failed: readonly FailedInstance[],
): DicomJsonDataSet {
  const response: DicomJsonDataSet = {};
  const failedItems = failed.map((f) => ({
    ...referenced(f),
    [TAG.failureReason]: { vr: 'US', Value: [f.failureReason] },
  }));
  const keptItems = kept.map((k) => ({ ...referenced(k), [TAG.retrieveUrl]: { vr: 'UR', Value: [k.url] } }));
  if (failedItems.length > 0) response[TAG.failedSopSequence] = { vr: 'SQ', Value: failedItems };
  if (keptItems.length > 0) response[TAG.referencedSopSequence] = { vr: 'SQ', Value: keptItems };
  return response;
}
