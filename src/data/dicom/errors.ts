// One error type for everything that can go wrong reading a DICOM file. `kind` lets a batch (EDA,
// the dataset index) count failures by cause; the message always starts with the file name.
import path from 'node:path';

export type DicomErrorKind =
  'not-dicom' | 'truncated' | 'unsupported-transfer-syntax' | 'colour' | 'multi-frame' | 'corrupt';

export class DicomError extends Error {
  override name = 'DicomError';
  constructor(
    readonly kind: DicomErrorKind,
    readonly file: string,
    readonly reason: string,
  ) {
    super(`${path.basename(file) || 'DICOM'}: ${reason}`);
  }
}

/** The text of whatever a library threw (dicom-parser throws plain strings and `{exception}` objects). */
export function thrownText(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (typeof err === 'string') return err;
  if (err && typeof err === 'object' && 'exception' in err)
    return thrownText((err as { exception: unknown }).exception);
  return String(err);
}
