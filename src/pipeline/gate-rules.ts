// The input gate's header rules: what a DICOM header must say for the models to be asked about the
// image at all. The models were made for adult frontal chest radiographs; anything else (a CT slice,
// a lateral view, a child, a cine loop, a colour photograph) would still get a probability, and a
// negative one would read as "seen and clear". Each rule has a setting and a named reason; a refused
// image is `not-assessed` with its reasons, never a failure and never a negative. PNG and JPEG carry
// no header: only the learned gate (ood-gate.ts) applies to them.
//
// A reason is a code, optionally with the value that tripped it after a colon (`modality:CT`,
// `view:LL`, `age:10`): monitoring groups by the code, the reading room shows gateReasonText().
import type { DicomMeta } from '../data/dicom/index.js';

export interface GateRules {
  /** Modalities assessed (0008,0060); a missing modality is refused. */
  modalities: string[];
  /** DX images must be meant for presentation (0008,0068), not raw "for processing" data. */
  dxForPresentationOnly: boolean;
  /** Body Part Examined (0018,0015) values assessed; an absent body part passes. */
  bodyParts: string[];
  /** View Position (0018,5101) values assessed; an absent view passes with a note. */
  views: string[];
  /** Youngest patient age in years assessed; null turns the rule off. A missing age passes with a note. */
  minAgeYears: number | null;
  /** Most frames an instance may have. */
  maxFrames: number;
  /** Plausible pixel spacing of a chest film, mm (row and column). */
  pixelSpacingMm: [number, number];
  /** Plausible physical side of the film, mm (rows x spacing, columns x spacing). */
  filmSideMm: [number, number];
  /** Smallest side in pixels (whatever the spacing). */
  minSidePixels: number;
  /** Photometric interpretations assessed; colour ones are refused as `colour`, others as `photometric`. */
  photometric: string[];
  /** Replaces the bundle's learned-gate threshold; null keeps the bundle's. */
  oodThreshold: number | null;
}

export const DEFAULT_GATE_RULES: Readonly<GateRules> = Object.freeze<GateRules>({
  modalities: ['CR', 'DX'],
  dxForPresentationOnly: true,
  bodyParts: ['CHEST'],
  views: ['PA', 'AP'],
  minAgeYears: 18,
  maxFrames: 1,
  pixelSpacingMm: [0.05, 1.0],
  filmSideMm: [100, 550],
  minSidePixels: 256,
  photometric: ['MONOCHROME1', 'MONOCHROME2'],
  oodThreshold: null,
});

/** The reason codes, each with what it says to a reader. */
export const GATE_REASONS = {
  modality: 'not a radiograph',
  'dx-for-processing': 'DX image for processing, not for presentation',
  'body-part': 'not a chest study',
  view: 'not a frontal view',
  'lateral-view': 'lateral view',
  age: 'patient under the minimum age',
  frames: 'more than one frame',
  'pixel-spacing': 'implausible pixel spacing for a chest film',
  'film-size': 'implausible film size for a chest film',
  photometric: 'unknown photometric interpretation',
  colour: 'colour image',
  'out-of-distribution': 'unlike the images the model was trained on',
} as const;

export type GateReasonCode = keyof typeof GATE_REASONS;

/** What the header rules say of one image: reasons to refuse it, and notes (rules that could not be checked). */
export interface HeaderVerdict {
  reasons: string[];
  notes: string[];
}

const LATERAL_VIEWS = /^(LL|RL|LAT|LATERAL|LLD|RLD|LLAT|RLAT)$/;
const COLOUR = /^(RGB|YBR_|PALETTE)/;

const reason = (code: GateReasonCode, value?: string | number) =>
  value === undefined || value === '' ? code : `${code}:${value}`;

const upper = (v: string | null) => (v === null ? null : v.trim().toUpperCase());

const round = (v: number, digits = 3) => Number(v.toFixed(digits));

/** The header rules on one DICOM header; null (PNG/JPEG) has no header and passes with a note. */
export function checkHeader(meta: DicomMeta | null, rules: GateRules = DEFAULT_GATE_RULES): HeaderVerdict {
  const reasons: string[] = [];
  const notes: string[] = [];
  if (meta === null) return { reasons, notes: ['no DICOM header: only the learned gate applies'] };
  const modality = upper(meta.modality);
  if (modality === null || !rules.modalities.includes(modality)) reasons.push(reason('modality', modality ?? 'none'));
  else if (modality === 'DX' && rules.dxForPresentationOnly && upper(meta.presentationIntentType) === 'FOR PROCESSING')
    reasons.push(reason('dx-for-processing'));
  const bodyPart = upper(meta.bodyPartExamined);
  if (bodyPart !== null && !rules.bodyParts.includes(bodyPart)) reasons.push(reason('body-part', bodyPart));
  const view = upper(meta.viewPosition);
  if (view === null) notes.push('no view position in the header: taken as frontal');
  else if (!rules.views.includes(view))
    reasons.push(LATERAL_VIEWS.test(view) ? reason('lateral-view', view) : reason('view', view));
  if (rules.minAgeYears !== null) {
    if (meta.patientAge === null) notes.push('no patient age in the header: the age rule was not applied');
    else if (meta.patientAge < rules.minAgeYears) reasons.push(reason('age', round(meta.patientAge, 1)));
  }
  if (meta.numberOfFrames > rules.maxFrames) reasons.push(reason('frames', meta.numberOfFrames));
  const photometric = upper(meta.photometricInterpretation) ?? '';
  if (meta.samplesPerPixel > 1 || COLOUR.test(photometric)) reasons.push(reason('colour', photometric || 'colour'));
  else if (photometric !== '' && !rules.photometric.includes(photometric))
    reasons.push(reason('photometric', photometric));
  if (Math.min(meta.rows, meta.columns) < rules.minSidePixels)
    reasons.push(reason('film-size', `${meta.columns}x${meta.rows}px`));
  else if (meta.pixelSpacing !== null) {
    const [lo, hi] = rules.pixelSpacingMm;
    const [row, column] = meta.pixelSpacing;
    if (row < lo || row > hi || column < lo || column > hi)
      reasons.push(reason('pixel-spacing', `${round(row, 4)}x${round(column, 4)}mm`));
    else {
      const [min, max] = rules.filmSideMm;
      const height = meta.rows * row;
      const width = meta.columns * column;
      if (Math.min(width, height) < min || Math.max(width, height) > max)
        reasons.push(reason('film-size', `${Math.round(width)}x${Math.round(height)}mm`));
    }
  } else notes.push('no pixel spacing in the header: the film size was checked in pixels only');
  return { reasons, notes };
}

/** A reason code (with its value) in words: `lateral-view:LL` -> "lateral view (LL)". */
export function gateReasonText(code: string, rules: Pick<GateRules, 'minAgeYears'> = DEFAULT_GATE_RULES): string {
  const colon = code.indexOf(':');
  const name = (colon < 0 ? code : code.slice(0, colon)) as GateReasonCode;
  const value = colon < 0 ? '' : code.slice(colon + 1);
  const words: string = GATE_REASONS[name] ?? name;
  if (name === 'age')
    return rules.minAgeYears === null ? `patient aged ${value}` : `patient aged ${value} (under ${rules.minAgeYears})`;
  if (name === 'modality') return value === 'none' ? 'no modality in the header' : `${value}, ${words}`;
  if (name === 'lateral-view') return words;
  return value ? `${words} (${value})` : words;
}

/** "not assessed: lateral view; patient aged 10 (under 18)". */
export function notAssessedText(reasons: readonly string[], rules?: Pick<GateRules, 'minAgeYears'>): string {
  return `not assessed: ${reasons.map((r) => gateReasonText(r, rules)).join('; ')}`;
}

/** The reason's code without its value (what monitoring groups by). */
export function gateReasonCode(reasonText: string): string {
  const colon = reasonText.indexOf(':');
  return colon < 0 ? reasonText : reasonText.slice(0, colon);
}

export class GateRuleError extends Error {
  override name = 'GateRuleError';
}

const list = (value: string) =>
  value
    .split(',')
    .map((v) => v.trim().toUpperCase())
    .filter((v) => v !== '');

function range(value: string, key: string): [number, number] {
  const parts = value.split(/[-,:]/).map(Number);
  if (parts.length !== 2 || !parts.every((v) => Number.isFinite(v) && v >= 0) || parts[0] > parts[1])
    throw new GateRuleError(`gate rule ${key} expects MIN-MAX (e.g. 0.05-1), got "${value}"`);
  return [parts[0], parts[1]];
}

function nonNegative(value: string, key: string, integer = false): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || (integer && !Number.isInteger(n)))
    throw new GateRuleError(`gate rule ${key} expects a ${integer ? 'whole ' : ''}number >= 0, got "${value}"`);
  return n;
}

/** The settings `--gate-rule KEY=VALUE` understands, with what each takes. */
export const GATE_RULE_SETTINGS: Record<keyof GateRules, string> = {
  modalities: 'comma list, e.g. CR,DX',
  dxForPresentationOnly: 'true | false',
  bodyParts: 'comma list, e.g. CHEST',
  views: 'comma list, e.g. PA,AP',
  minAgeYears: 'years, or off',
  maxFrames: 'whole number',
  pixelSpacingMm: 'MIN-MAX in mm, e.g. 0.05-1',
  filmSideMm: 'MIN-MAX in mm, e.g. 100-550',
  minSidePixels: 'whole number',
  photometric: 'comma list, e.g. MONOCHROME1,MONOCHROME2',
  oodThreshold: "number, or bundle (the bundle's own)",
};

/** The rules with `KEY=VALUE` settings applied over `base`; a bad key or value is a GateRuleError. */
export function applyGateRuleSettings(settings: readonly string[], base: GateRules = DEFAULT_GATE_RULES): GateRules {
  const rules: GateRules = structuredClone(base) as GateRules;
  for (const setting of settings) {
    const eq = setting.indexOf('=');
    const key = setting.slice(0, Math.max(0, eq)).trim() as keyof GateRules;
    const value = setting.slice(eq + 1).trim();
    if (eq <= 0 || !Object.hasOwn(GATE_RULE_SETTINGS, key))
      throw new GateRuleError(
        `gate rule "${setting}" is not KEY=VALUE with KEY one of ${Object.keys(GATE_RULE_SETTINGS).join(', ')}`,
      );
    switch (key) {
      case 'modalities':
      case 'bodyParts':
      case 'views':
      case 'photometric':
        rules[key] = list(value);
        break;
      case 'dxForPresentationOnly':
        if (value !== 'true' && value !== 'false')
          throw new GateRuleError(`gate rule ${key} expects true or false, got "${value}"`);
        rules[key] = value === 'true';
        break;
      case 'minAgeYears':
        rules[key] = value === 'off' ? null : nonNegative(value, key);
        break;
      case 'oodThreshold':
        rules[key] = value === 'bundle' ? null : nonNegative(value, key);
        break;
      case 'maxFrames':
      case 'minSidePixels':
        rules[key] = nonNegative(value, key, true);
        break;
      case 'pixelSpacingMm':
      case 'filmSideMm':
        rules[key] = range(value, key);
        break;
    }
  }
  return rules;
}
