// The input gate as the pipeline applies it: the header rules (gate-rules.ts) and the learned gate's
// out-of-distribution score (ood-distance.ts, fitted into the bundle by fit-gate.ts) decide together
// whether an image is `assessed` or `not-assessed`. A not-assessed image gets no decision, no mask
// and no SEG: its probability is kept for audit and monitoring only and never shown as a finding.
import type { DicomMeta } from '../data/dicom/index.js';
import type { BundleGate } from './bundle-manifest.js';
import { checkHeader, DEFAULT_GATE_RULES, type GateRules } from './gate-rules.js';

export type AssessmentStatus = 'assessed' | 'not-assessed';

/** What the gate says of one image (predictions.jsonl, the store and the worklist carry it as it is). */
export interface GateOutcome {
  /** Reason codes (gate-rules.ts: `lateral-view:LL`, `out-of-distribution`, ...); empty when assessed. */
  reasons: string[];
  /** The learned gate's distance, or null without a learned gate (bundle without one, gate off, no pixels). */
  oodScore: number | null;
  /** The distance above which an image is out of distribution, or null as oodScore. */
  threshold: number | null;
  /** Rules that could not be checked (no age, no view in the header); they did not refuse the image. */
  notes: string[];
  /** False when the gate was turned off (`--no-gate`): every readable image is assessed. */
  enabled: boolean;
}

export interface GateSettings {
  /** False turns the gate off (header rules and learned gate). */
  enabled: boolean;
  rules: GateRules;
}

export const DEFAULT_GATE_SETTINGS: Readonly<GateSettings> = Object.freeze({
  enabled: true,
  rules: DEFAULT_GATE_RULES,
});

/** The outcome of a gate that is off. */
export function gateOff(): GateOutcome {
  return { reasons: [], oodScore: null, threshold: null, notes: ['input gate off (--no-gate)'], enabled: false };
}

/** The learned gate's threshold in force: the rules' override, else the bundle's. */
export function oodThreshold(gate: BundleGate | undefined, rules: GateRules): number | null {
  if (!gate) return null;
  return rules.oodThreshold ?? gate.threshold;
}

/**
 * The outcome for one image from its header (null: PNG/JPEG) and its OOD score (null: no learned
 * gate, or no pixels to score); a score above the threshold adds `out-of-distribution`.
 */
export function gateOutcome(
  meta: DicomMeta | null,
  oodScore: number | null,
  threshold: number | null,
  settings: GateSettings = DEFAULT_GATE_SETTINGS,
): GateOutcome {
  if (!settings.enabled) return gateOff();
  const { reasons, notes } = checkHeader(meta, settings.rules);
  if (oodScore !== null && threshold !== null && oodScore > threshold) reasons.push('out-of-distribution');
  if (threshold === null) notes.push('the bundle has no learned input gate: only the header rules apply');
  return { reasons, oodScore, threshold: oodScore === null ? null : threshold, notes, enabled: true };
}

export const statusOf = (gate: GateOutcome): AssessmentStatus =>
  gate.reasons.length > 0 ? 'not-assessed' : 'assessed';
