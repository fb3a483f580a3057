// Reading DICOM JSON (PS3.18 F.2), what QIDO-RS and STOW-RS answer with: attributes by 8-hex-digit tag,
// each {vr, Value: [...]}.

export type DicomJson = Record<string, { vr: string; Value?: unknown[] } | undefined>;

export const TAGS = {
  studyInstanceUid: '0020000D',
  seriesInstanceUid: '0020000E',
  sopInstanceUid: '00080018',
  sopClassUid: '00080016',
  modality: '00080060',
  manufacturer: '00080070',
  referencedSopSequence: '00081199',
  failedSopSequence: '00081198',
  referencedSopInstanceUid: '00081155',
  failureReason: '00081197',
  retrieveUrl: '00081190',
} as const;

/** The first value of an attribute as a string (a PN's alphabetic form), or null. */
export function jsonString(item: DicomJson, tag: string): string | null {
  const value = item[tag]?.Value?.[0];
  if (value === undefined || value === null) return null;
  if (typeof value === 'object' && 'Alphabetic' in value) return String((value as { Alphabetic: unknown }).Alphabetic);
  return String(value);
}

/** The items of a sequence attribute. */
export function jsonItems(item: DicomJson, tag: string): DicomJson[] {
  return (item[tag]?.Value ?? []) as DicomJson[];
}
