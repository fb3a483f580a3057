// How worklist and viewer show the service's values.
import { sizeText } from '../../src/pipeline/pneumothorax-size.js';
import type { Instance, WorklistItem } from './api.js';

export function verdictText(item: Instance): string {
  if (!item.result) return item.state === 'failed' ? 'failed' : 'pending';
  if (item.result.status === 'not-assessed') return item.result.notAssessed ?? 'not assessed';
  return item.result.decision ? 'pneumothorax' : 'no pneumothorax';
}

/** The probability, marked when it is calibrated (the thresholds are on the model's own scale); none when not assessed. */
export function probabilityText(item: Instance): string {
  if (!item.result || item.result.probability === null) return '–';
  return `${item.result.probability.toFixed(3)}${item.result.calibrated ? ' (calibrated)' : ''}`;
}

export function areaText(item: Instance): string {
  const area = item.result?.area;
  if (!area || !item.result?.decision) return '–';
  return area.cm2 !== null ? `${area.cm2.toFixed(1)} cm²` : `${area.pixels} px`;
}

export function waitingText(item: Pick<WorklistItem, 'waitingMinutes'>): string {
  const minutes = Math.floor(item.waitingMinutes);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  return hours < 48 ? `${hours} h ${minutes % 60} min` : `${Math.floor(hours / 24)} d`;
}

/** new (result, nothing else), read (opened here, no review), agreed, disagreed; or the job's state. */
export function statusText(item: Instance, opened: ReadonlySet<string>): string {
  if (item.review) return item.review.verdict === 'agree' ? 'agreed' : 'disagreed';
  if (item.state !== 'done') return item.state;
  return opened.has(item.uid) ? 'read' : 'new';
}

/** The pneumothorax size as clinicians grade it, or why there is none. */
export function sizeLine(item: Instance): string {
  const r = item.result;
  if (!r?.decision) return '–';
  if (!r.size) return item.pixelSpacing ? 'no size: the mask is empty' : 'no size: the image has no pixel spacing';
  return `${r.size.large ? 'LARGE · ' : ''}${sizeText(r.size)}`;
}
