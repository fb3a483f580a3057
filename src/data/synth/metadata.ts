// The DICOM header of a synthetic image, drawn to match the real SIIM-ACR training set: 55% male,
// 60% PA (both by role, see composition.ts), ages mostly 20-80 with a few children and (by role, see composition.ts) the odd
// impossible age above 110, SIIM's five pixel spacings, and UIDs under SIIM's own root.
import type { Rng } from '../random.js';

export type Sex = 'M' | 'F';
export type ViewPosition = 'PA' | 'AP';

export interface SynthMetadata {
  sopInstanceUid: string;
  studyInstanceUid: string;
  seriesInstanceUid: string;
  /** Anonymous, a UUID like SIIM's (which also puts it in PatientName). */
  patientId: string;
  /** Age in years as SIIM writes it: a bare number string, e.g. '38'. */
  patientAge: string;
  patientSex: Sex;
  viewPosition: ViewPosition;
  /** Millimetres per pixel at this image's size (SIIM's spacing scaled by 1024 / size). */
  pixelSpacing: number;
}

/** SIIM's UIDs are 1.2.276.0.7230010.3.1.<kind>.8323329.<n>.<time>.<random>, kind 2 study, 3 series, 4 instance. */
const UID_ROOT = '1.2.276.0.7230010.3.1';
const UID_SITE = '8323329';
const SIIM_SPACINGS = [0.139, 0.143, 0.168, 0.171, 0.194311];
const SPACING_WEIGHTS = [0.3, 0.25, 0.25, 0.1, 0.1];

function pickWeighted<T>(rng: Rng, items: readonly T[], weights: readonly number[]): T {
  let u = rng.next() * weights.reduce((a, b) => a + b, 0);
  for (let i = 0; i < items.length; i++) {
    u -= weights[i];
    if (u < 0) return items[i];
  }
  return items[items.length - 1];
}

function uuid(rng: Rng): string {
  const hex = Array.from({ length: 32 }, () => rng.int(16).toString(16));
  hex[12] = '4';
  hex[16] = (8 + rng.int(4)).toString(16);
  const s = hex.join('');
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
}

function drawAge(rng: Rng, implausible: boolean): number {
  if (implausible) return rng.pick([111, 148, 155, 413]);
  if (rng.bool(0.03)) return 2 + rng.int(16);
  for (;;) {
    const age = Math.round(rng.normal(48, 16.5));
    if (age >= 18 && age <= 94) return age;
  }
}

export interface MetadataRoles {
  male: boolean;
  posteroAnterior: boolean;
  implausibleAge: boolean;
}

/** SIIM-ACR's training set: 55% male, 60% PA (composition.ts turns these into exact proportions). */
export const MALE_RATE = 0.55;
export const PA_RATE = 0.6;

export function drawMetadata(rng: Rng, seed: number, index: number, size: number, roles: MetadataRoles): SynthMetadata {
  const patientSex: Sex = roles.male ? 'M' : 'F';
  const viewPosition: ViewPosition = roles.posteroAnterior ? 'PA' : 'AP';
  const implausibleAge = roles.implausibleAge;
  const patientAge = String(drawAge(rng, implausibleAge));
  const spacing1024 = pickWeighted(rng, SIIM_SPACINGS, SPACING_WEIGHTS);
  const pixelSpacing = Number(((spacing1024 * 1024) / size).toPrecision(6));
  // Seconds since 1970 in the same place as SIIM's 1517875xxx, but in 2023-2026 so no id can clash
  // with a real SIIM image; one second apart per image, offset by the seed.
  const time = 1_700_000_000 + ((seed * 7919) % 90_000_000) + index;
  const random = 100_000 + rng.int(900_000);
  const n = index + 1;
  const uid = (kind: number, last: number) => `${UID_ROOT}.${kind}.${UID_SITE}.${n}.${time}.${last}`;
  return {
    sopInstanceUid: uid(4, random),
    studyInstanceUid: uid(2, random - 1),
    seriesInstanceUid: uid(3, random - 2),
    patientId: uuid(rng),
    patientAge,
    patientSex,
    viewPosition,
    pixelSpacing,
  };
}
