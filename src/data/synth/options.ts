// The knobs of the synthetic SIIM-format generator and their defaults. The defaults follow the
// composition of the real SIIM-ACR training set (about 22% positive, 55% male, 60% PA) and size the
// pneumothoraces so that a small model can still learn them at 128-256 px (issue 7's demo).

export type SynthTransferSyntax = 'jpeg' | 'explicit';

export interface SynthOptions {
  /** Number of images. */
  n: number;
  /** Width and height of every image in pixels (SIIM: 1024). */
  size: number;
  seed: number;
  /** Fraction of images with a pneumothorax. */
  positiveRate: number;
  /** Smallest and largest pneumothorax, as a fraction of the image area (all parts together). */
  minAreaFraction: number;
  maxAreaFraction: number;
  /** Fraction of positive images whose pneumothorax comes in 2-3 separate parts, one CSV row each. */
  multiPartRate: number;
  /** Fraction of images whose CSV row(s) are written twice, as happens in the real file. */
  duplicateRate: number;
  /** Fraction of images with an implausible age (> 110 years) in the header, as the real data has. */
  implausibleAgeRate: number;
  /** 'jpeg': JPEG baseline in one fragment like the SIIM files; 'explicit': uncompressed explicit VR LE. */
  transferSyntax: SynthTransferSyntax;
  /** JPEG quality, 1-100. */
  jpegQuality: number;
  /** Worker threads generating images; 0 renders on the calling thread. */
  workers: number;
}

export const DEFAULT_SYNTH_OPTIONS: Readonly<Omit<SynthOptions, 'workers'>> = {
  n: 400,
  size: 1024,
  seed: 1,
  positiveRate: 0.22,
  minAreaFraction: 0.018,
  maxAreaFraction: 0.06,
  multiPartRate: 0.15,
  duplicateRate: 0.01,
  implausibleAgeRate: 0.004,
  transferSyntax: 'jpeg',
  jpegQuality: 90,
};

export class SynthOptionsError extends Error {
  override name = 'SynthOptionsError';
}

function expect(ok: boolean, message: string): void {
  if (!ok) throw new SynthOptionsError(message);
}

/** Fills defaults and checks every value, with messages that say what was received. */
export function resolveSynthOptions(partial: Partial<SynthOptions>): SynthOptions {
  const o: SynthOptions = { ...DEFAULT_SYNTH_OPTIONS, workers: 0, ...partial };
  const isInt = (v: number) => Number.isInteger(v);
  const rate = (name: keyof SynthOptions, v: number) =>
    expect(Number.isFinite(v) && v >= 0 && v <= 1, `Expected ${name} between 0 and 1 but received ${v}`);
  expect(isInt(o.n) && o.n >= 1, `Expected a positive integer for n but received ${o.n}`);
  expect(
    isInt(o.size) && o.size >= 64 && o.size <= 4096,
    `Expected size an integer in 64..4096 but received ${o.size}`,
  );
  expect(
    isInt(o.seed) && o.seed >= 0 && o.seed <= 0xffffffff,
    `Expected seed an integer in 0..4294967295 but received ${o.seed}`,
  );
  rate('positiveRate', o.positiveRate);
  rate('multiPartRate', o.multiPartRate);
  rate('duplicateRate', o.duplicateRate);
  rate('implausibleAgeRate', o.implausibleAgeRate);
  expect(
    o.minAreaFraction > 0 && o.minAreaFraction <= o.maxAreaFraction && o.maxAreaFraction <= 0.2,
    `Expected 0 < minAreaFraction <= maxAreaFraction <= 0.2 but received ${o.minAreaFraction} and ${o.maxAreaFraction}`,
  );
  expect(
    o.transferSyntax === 'jpeg' || o.transferSyntax === 'explicit',
    `Expected transferSyntax jpeg or explicit but received ${o.transferSyntax}`,
  );
  expect(
    isInt(o.jpegQuality) && o.jpegQuality >= 1 && o.jpegQuality <= 100,
    `Expected jpegQuality an integer in 1..100 but received ${o.jpegQuality}`,
  );
  expect(
    isInt(o.workers) && o.workers >= 0 && o.workers <= 64,
    `Expected workers an integer in 0..64 but received ${o.workers}`,
  );
  return o;
}
