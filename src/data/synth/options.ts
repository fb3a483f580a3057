// The knobs of the synthetic SIIM-format generator, its presets and their defaults. Both presets follow
// the composition of the real SIIM-ACR training set (about 22% positive, 55% male, 60% PA). `siim`, the
// default, also draws the mask areas and row counts of the real labels (siim-reference.ts), faint
// cases and the devices and skin folds real films carry; `easy` is the first demo's generator:
// large, clear pneumothoraces between 1.8% and 6% of the image and no confounders.

import { siimMultiRowRate } from './siim-reference.js';

export type SynthTransferSyntax = 'jpeg' | 'explicit';
export type SynthPresetName = 'siim' | 'easy';
/** 'siim': SIIM's area quantiles and row counts; 'log-uniform': areas log-uniform between the bounds, 2-3 parts. */
export type AreaDistribution = 'siim' | 'log-uniform';
/** A per-image value drawn uniformly between the two ends (equal ends: a fixed value). */
export type SynthRange = readonly [number, number];

export interface SynthOptions {
  /** Number of images. */
  n: number;
  /** Width and height of every image in pixels (SIIM: 1024). */
  size: number;
  seed: number;
  /** Fraction of images with a pneumothorax. */
  positiveRate: number;
  /** The preset the other values started from (recorded in synth.json). */
  preset: SynthPresetName;
  areaDistribution: AreaDistribution;
  /** Smallest and largest pneumothorax, as a fraction of the image area (all parts together); with
   * the SIIM distribution, the bounds its draws are clipped to. */
  minAreaFraction: number;
  maxAreaFraction: number;
  /** Fraction of positive images whose pneumothorax comes in several separate parts, one CSV row each. */
  multiPartRate: number;
  /** Brightness of the visceral pleural line relative to a clear one (1), per image. */
  lineContrast: SynthRange;
  /** Share of the lung texture that the pneumothorax's air replaces (1: none is left), per image. */
  textureLoss: SynthRange;
  /** Fractions of positive and of negative images with a chest drain. */
  tubeRatePositive: number;
  tubeRateNegative: number;
  /** Fractions of positive and of negative images with ECG electrodes and leads. */
  ecgRatePositive: number;
  ecgRateNegative: number;
  /** Fractions of positive and of negative images with a skin fold over a lung. */
  skinFoldRatePositive: number;
  skinFoldRateNegative: number;
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

/** The per-class rates of each confounder (confounders.ts). */
export const CONFOUNDER_RATES = [
  'tubeRatePositive',
  'tubeRateNegative',
  'ecgRatePositive',
  'ecgRateNegative',
  'skinFoldRatePositive',
  'skinFoldRateNegative',
] as const;

type PresetValues = Pick<
  SynthOptions,
  | 'preset'
  | 'areaDistribution'
  | 'minAreaFraction'
  | 'maxAreaFraction'
  | 'multiPartRate'
  | 'lineContrast'
  | 'textureLoss'
  | (typeof CONFOUNDER_RATES)[number]
>;

export const SYNTH_PRESETS: Readonly<Record<SynthPresetName, Readonly<PresetValues>>> = {
  // Chest drains sit mostly with positives, as in real films (patients already treated), which is
  // the shortcut a classifier must not take; ECG leads and skin folds come with either class.
  siim: {
    preset: 'siim',
    areaDistribution: 'siim',
    minAreaFraction: 0.0003,
    maxAreaFraction: 0.12,
    multiPartRate: siimMultiRowRate(),
    lineContrast: [0.45, 1],
    textureLoss: [0.6, 1],
    tubeRatePositive: 0.4,
    tubeRateNegative: 0.05,
    ecgRatePositive: 0.3,
    ecgRateNegative: 0.3,
    skinFoldRatePositive: 0.1,
    skinFoldRateNegative: 0.1,
  },
  easy: {
    preset: 'easy',
    areaDistribution: 'log-uniform',
    minAreaFraction: 0.018,
    maxAreaFraction: 0.06,
    multiPartRate: 0.15,
    lineContrast: [1, 1],
    textureLoss: [1, 1],
    tubeRatePositive: 0,
    tubeRateNegative: 0,
    ecgRatePositive: 0,
    ecgRateNegative: 0,
    skinFoldRatePositive: 0,
    skinFoldRateNegative: 0,
  },
};

export const DEFAULT_SYNTH_OPTIONS: Readonly<Omit<SynthOptions, 'workers'>> = {
  n: 400,
  size: 1024,
  seed: 1,
  positiveRate: 0.22,
  ...SYNTH_PRESETS.siim,
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

/**
 * Fills defaults (the named preset's, `siim` when none is named; values given explicitly win over
 * the preset's) and checks every value, with messages that say what was received.
 */
export function resolveSynthOptions(partial: Partial<SynthOptions>): SynthOptions {
  const presetName = partial.preset ?? 'siim';
  expect(
    Object.hasOwn(SYNTH_PRESETS, presetName),
    `Expected preset ${Object.keys(SYNTH_PRESETS).join(' or ')} but received ${presetName}`,
  );
  const defined = Object.fromEntries(Object.entries(partial).filter(([, v]) => v !== undefined));
  const o: SynthOptions = { ...DEFAULT_SYNTH_OPTIONS, ...SYNTH_PRESETS[presetName], workers: 0, ...defined };
  const isInt = (v: number) => Number.isInteger(v);
  const rate = (name: keyof SynthOptions, v: number) =>
    expect(Number.isFinite(v) && v >= 0 && v <= 1, `Expected ${name} between 0 and 1 but received ${v}`);
  const integerIn = (name: keyof SynthOptions, v: number, lo: number, hi: number) =>
    expect(isInt(v) && v >= lo && v <= hi, `Expected ${name} an integer in ${lo}..${hi} but received ${v}`);
  expect(isInt(o.n) && o.n >= 1, `Expected a positive integer for n but received ${o.n}`);
  integerIn('size', o.size, 64, 4096);
  integerIn('seed', o.seed, 0, 0xffffffff);
  rate('positiveRate', o.positiveRate);
  rate('multiPartRate', o.multiPartRate);
  rate('duplicateRate', o.duplicateRate);
  rate('implausibleAgeRate', o.implausibleAgeRate);
  for (const name of CONFOUNDER_RATES) rate(name, o[name]);
  for (const name of ['lineContrast', 'textureLoss'] as const) {
    const [lo, hi] = o[name];
    expect(
      Array.isArray(o[name]) && o[name].length === 2 && lo >= 0 && lo <= hi && hi <= 1,
      `Expected ${name} a range 0 <= low <= high <= 1 but received ${JSON.stringify(o[name])}`,
    );
  }
  expect(
    o.areaDistribution === 'siim' || o.areaDistribution === 'log-uniform',
    `Expected areaDistribution siim or log-uniform but received ${o.areaDistribution}`,
  );
  expect(
    o.minAreaFraction > 0 && o.minAreaFraction <= o.maxAreaFraction && o.maxAreaFraction <= 0.2,
    `Expected 0 < minAreaFraction <= maxAreaFraction <= 0.2 but received ${o.minAreaFraction} and ${o.maxAreaFraction}`,
  );
  expect(
    o.transferSyntax === 'jpeg' || o.transferSyntax === 'explicit',
    `Expected transferSyntax jpeg or explicit but received ${o.transferSyntax}`,
  );
  integerIn('jpegQuality', o.jpegQuality, 1, 100);
  integerIn('workers', o.workers, 0, 64);
  return o;
}
