// New DICOM UIDs without a registered organisation root: "2.25." followed by a random UUID read as
// one decimal integer (PS3.5 B.2), at most 44 characters, unique without coordination.
import { createHash, randomUUID } from 'node:crypto';

export function newUid(): string {
  return `2.25.${BigInt(`0x${randomUUID().replace(/-/g, '')}`).toString()}`;
}

export const UID_MAX_LENGTH = 64;
/** A UI value (PS3.5 9.1): digits and dots, components without leading zeros. */
export const UID_PATTERN = '^(0|[1-9][0-9]*)(\\.(0|[1-9][0-9]*))*$';
const UID_REGEX = new RegExp(UID_PATTERN);

/** The one UID rule of pneumo: what the service accepts is what the DICOM objects it writes may reference. */
export function isValidUid(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= UID_MAX_LENGTH && UID_REGEX.test(value);
}

/** A UID that is always the same for the same name: "2.25." and the name's SHA-1 cut to 128 bits (as a UUID v5 is). */
export function nameUid(name: string): string {
  const hash = createHash('sha1').update(name).digest('hex').slice(0, 32);
  return `2.25.${BigInt(`0x${hash}`).toString()}`;
}
