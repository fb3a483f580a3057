// The augmentation pipeline and the configuration that training configs carry. Each entry is off when
// absent; geometric transforms run first, then intensity ones, in a fixed order, so a config names
// what happens, not how to sequence it. A number stands for `{ p: number }` with default strengths.
import type { Rng } from '../random.js';
import { HorizontalFlip } from './flip.js';
import { RandomShiftScaleRotate } from './affine.js';
import { RandomGridDistortion, RandomElastic } from './distortion.js';
import { RandomBrightnessContrast, RandomGamma } from './intensity.js';
import { RandomDrainOverlay } from './device-overlay.js';
import type { BorderMode } from './sampling.js';
import { BORDER_MODES } from './sampling.js';
import type { RandomTransform, Sample } from './sample.js';
import { checkSameSize, TransformError } from './sample.js';

export interface ComposeStep {
  transform: RandomTransform;
  /** Probability that the transform is applied to a given sample. */
  p: number;
}

export class Compose {
  constructor(readonly steps: readonly ComposeStep[]) {}

  /** Every step draws its coin from `rng` whether it runs or not, so one step's parameters never shift another's decision. */
  apply(sample: Sample, rng: Rng): Sample {
    checkSameSize(sample);
    let out = sample;
    for (const { transform, p } of this.steps) {
      if (rng.next() < p) out = transform.apply(out, rng);
    }
    return out;
  }

  get names(): string[] {
    return this.steps.map((s) => s.transform.name);
  }
}

export interface AugmentConfig {
  hflip?: { p: number };
  shiftScaleRotate?: { p: number; shift?: number; scale?: number; rotate?: number; border?: BorderMode };
  gridDistortion?: { p: number; steps?: number; limit?: number; border?: BorderMode };
  elastic?: { p: number; grid?: number; magnitude?: number; border?: BorderMode };
  brightnessContrast?: { p: number; brightness?: number; contrast?: number };
  gamma?: { p: number; low?: number; high?: number };
  /**
   * Draws a chest drain (breaks a drain-label link in the training data): on images of either class,
   * or with `negativesOnly` on images with an empty mask only, which evens out a training set whose
   * drains come mostly with positives (as treated patients' films do).
   */
  drain?: { p: number; negativesOnly?: boolean };
}

/** Strengths used when a config gives only the probability (close to the top SIIM solutions' settings). */
export const AUGMENT_DEFAULTS = {
  shiftScaleRotate: { shift: 0.0625, scale: 0.1, rotate: 15, border: 'reflect' as BorderMode },
  gridDistortion: { steps: 5, limit: 0.3, border: 'reflect' as BorderMode },
  elastic: { grid: 5, magnitude: 0.02, border: 'reflect' as BorderMode },
  brightnessContrast: { brightness: 0.2, contrast: 0.2 },
  gamma: { low: 0.8, high: 1.25 },
};

/** A sensible training preset for chest X-rays. */
export const DEFAULT_AUGMENT: AugmentConfig = {
  hflip: { p: 0.5 },
  shiftScaleRotate: { p: 0.5 },
  gridDistortion: { p: 0.2 },
  brightnessContrast: { p: 0.5 },
  gamma: { p: 0.5 },
};

export function buildAugmentation(config: AugmentConfig): Compose {
  const c = parseAugmentConfig(config);
  const steps: ComposeStep[] = [];
  if (c.hflip) steps.push({ p: c.hflip.p, transform: new HorizontalFlip() });
  if (c.shiftScaleRotate) {
    const d = { ...AUGMENT_DEFAULTS.shiftScaleRotate, ...c.shiftScaleRotate };
    steps.push({
      p: d.p,
      transform: new RandomShiftScaleRotate({ shift: d.shift, scale: d.scale, rotate: d.rotate, border: d.border }),
    });
  }
  if (c.gridDistortion) {
    const d = { ...AUGMENT_DEFAULTS.gridDistortion, ...c.gridDistortion };
    steps.push({ p: d.p, transform: new RandomGridDistortion({ steps: d.steps, limit: d.limit, border: d.border }) });
  }
  if (c.elastic) {
    const d = { ...AUGMENT_DEFAULTS.elastic, ...c.elastic };
    steps.push({ p: d.p, transform: new RandomElastic({ grid: d.grid, magnitude: d.magnitude, border: d.border }) });
  }
  if (c.brightnessContrast) {
    const d = { ...AUGMENT_DEFAULTS.brightnessContrast, ...c.brightnessContrast };
    steps.push({ p: d.p, transform: new RandomBrightnessContrast({ brightness: d.brightness, contrast: d.contrast }) });
  }
  if (c.gamma) {
    const d = { ...AUGMENT_DEFAULTS.gamma, ...c.gamma };
    steps.push({ p: d.p, transform: new RandomGamma([d.low, d.high]) });
  }
  // Last: the drain lies on the film, over whatever the exposure did to the patient.
  if (c.drain)
    steps.push({ p: c.drain.p, transform: new RandomDrainOverlay({ negativesOnly: c.drain.negativesOnly ?? false }) });
  return new Compose(steps);
}

// Field name -> [minimum, maximum, integer?] for validation of configs read from JSON or YAML.
const FIELDS: Record<keyof AugmentConfig, Record<string, [number, number, boolean]>> = {
  hflip: {},
  shiftScaleRotate: { shift: [0, 1, false], scale: [0, 0.99, false], rotate: [0, 180, false] },
  gridDistortion: { steps: [1, 64, true], limit: [0, 0.99, false] },
  elastic: { grid: [2, 64, true], magnitude: [0, 0.5, false] },
  brightnessContrast: { brightness: [0, 1, false], contrast: [0, 0.99, false] },
  gamma: { low: [0.05, 20, false], high: [0.05, 20, false] },
  drain: {},
};

// The transforms that sample outside the image and so take a border mode.
const WARPS = new Set(['shiftScaleRotate', 'gridDistortion', 'elastic']);

/**
 * Checks a config read from a file: unknown names, probabilities outside [0, 1] and strengths out of
 * range are errors that name the field. `false`, `null` or 0 turn an entry off; a number is its probability.
 */
export function parseAugmentConfig(value: unknown, where = 'augment'): AugmentConfig {
  if (value === null || value === undefined || value === false) return {};
  if (typeof value !== 'object' || Array.isArray(value))
    throw new TransformError(`${where}: expected an object of augmentations, received ${JSON.stringify(value)}`);
  const out: Record<string, Record<string, unknown>> = {};
  for (const [name, raw] of Object.entries(value as Record<string, unknown>)) {
    if (!(name in FIELDS))
      throw new TransformError(
        `${where}: unknown augmentation \`${name}\`, supported: ${Object.keys(FIELDS).join(', ')}`,
      );
    if (raw === null || raw === false || raw === 0) continue;
    const entry: Record<string, unknown> = typeof raw === 'number' ? { p: raw } : (raw as Record<string, unknown>);
    if (typeof entry !== 'object' || Array.isArray(entry))
      throw new TransformError(
        `${where}.${name}: expected a probability or an object, received ${JSON.stringify(raw)}`,
      );
    const fields = FIELDS[name as keyof AugmentConfig];
    const checked: Record<string, unknown> = {};
    for (const [field, v] of Object.entries(entry)) {
      if (field === 'p') {
        if (typeof v !== 'number' || !(v >= 0 && v <= 1))
          throw new TransformError(
            `${where}.${name}.p: expected a probability in [0, 1], received ${JSON.stringify(v)}`,
          );
      } else if (field === 'border' && WARPS.has(name)) {
        if (!BORDER_MODES.includes(v as BorderMode)) {
          throw new TransformError(
            `${where}.${name}.border: expected one of ${BORDER_MODES.join(', ')}, received ${JSON.stringify(v)}`,
          );
        }
      } else if (field === 'negativesOnly' && name === 'drain') {
        if (typeof v !== 'boolean')
          throw new TransformError(
            `${where}.drain.negativesOnly: expected true or false, received ${JSON.stringify(v)}`,
          );
      } else if (field in fields) {
        const [min, max, integer] = fields[field];
        if (typeof v !== 'number' || !(v >= min && v <= max) || (integer && !Number.isInteger(v))) {
          throw new TransformError(
            `${where}.${name}.${field}: expected ${integer ? 'an integer' : 'a number'} in [${min}, ${max}], received ${JSON.stringify(v)}`,
          );
        }
      } else {
        throw new TransformError(
          `${where}.${name}: unknown setting \`${field}\`, supported: ${['p', ...Object.keys(fields), ...(WARPS.has(name) ? ['border'] : []), ...(name === 'drain' ? ['negativesOnly'] : [])].join(', ')}`,
        );
      }
      checked[field] = v;
    }
    if (typeof checked.p !== 'number') throw new TransformError(`${where}.${name}: the probability \`p\` is missing`);
    if (name === 'gamma') {
      const low = (checked.low as number | undefined) ?? AUGMENT_DEFAULTS.gamma.low;
      const high = (checked.high as number | undefined) ?? AUGMENT_DEFAULTS.gamma.high;
      if (low > high) throw new TransformError(`${where}.gamma: low (${low}) is above high (${high})`);
    }
    out[name] = checked;
  }
  return out as AugmentConfig;
}
