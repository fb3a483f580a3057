// Which images get which role (positive, split into several parts, duplicated CSV row, implausible
// age, male, PA view, chest drain, ECG leads, skin fold). Each role is a Weyl sequence: image i has the role when frac(offset + i * alpha) < rate.
// That keeps every role a function of (seed, index) alone, like the pixels, so images stay
// independent of n, and yet any prefix of the dataset holds the requested fraction to within a few
// images (coin flips would stray by sqrt(n p (1 - p))): a 20-image test set gets its 22% positives
// just as a 400-image one does.
import { Rng } from '../random.js';

const ALPHAS = {
  positive: 0.6180339887498949, // golden ratio conjugate
  multiPart: 0.4142135623730951, // sqrt(2) - 1
  duplicate: 0.7320508075688772, // sqrt(3) - 1
  implausibleAge: 0.2360679774997897, // sqrt(5) - 2
  male: 0.6457513110645906, // sqrt(7) - 2
  posteroAnterior: 0.3166247903554, // sqrt(11) - 3
  chestDrain: 0.6055512754639891, // sqrt(13) - 3
  ecgLeads: 0.1231056256176605, // sqrt(17) - 4
  skinFold: 0.3588989435406735, // sqrt(19) - 4
} as const;

export type SynthRole = keyof typeof ALPHAS;

const STREAM: Record<SynthRole, number> = {
  positive: 1,
  multiPart: 2,
  duplicate: 3,
  implausibleAge: 4,
  male: 5,
  posteroAnterior: 6,
  chestDrain: 7,
  ecgLeads: 8,
  skinFold: 9,
};

function roleOffset(seed: number, role: SynthRole): number {
  return Rng.derive(seed, 0x5e1ec7, STREAM[role]).next();
}

export function hasRole(seed: number, index: number, role: SynthRole, rate: number): boolean {
  const x = roleOffset(seed, role) + index * ALPHAS[role];
  return x - Math.floor(x) < rate;
}
