// New DICOM UIDs without a registered organisation root: "2.25." followed by a random UUID read as
// one decimal integer (PS3.5 B.2), at most 44 characters, unique without coordination.
import { createHash, randomUUID } from 'node:crypto';

export function newUid(): string {
  return `2.25.${BigInt(`0x${randomUUID().replace(/-/g, '')}`).toString()}`;
}

/** A UI value: digits and dots, components without leading zeros, at most 64 characters. */
export function isValidUid(value: unknown): value is string {
  return typeof value === 'string' && value.length <= 64 && /^(0|[1-9]\d*)(\.(0|[1-9]\d*))*$/.test(value);
}

/** A UID that is always the same for the same name: "2.25." and the name's SHA-1 cut to 128 bits (as a UUID v5 is). */
export function nameUid(name: string): string {
  const hash = createHash('sha1').update(name).digest('hex').slice(0, 32);
  return `2.25.${BigInt(`0x${hash}`).toString()}`;
}
