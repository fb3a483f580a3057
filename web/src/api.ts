import type { PneumothoraxSize } from '../../src/pipeline/pneumothorax-size.js';

// The service's API as the reading room uses it (docs/serve.md). Either the reviewer's token, pasted
// once and kept in sessionStorage (it lasts as long as the tab and is never written anywhere else), or a
// session opened by a one-time login link, whose HttpOnly cookie the browser sends by itself in every
// tab until the session expires.

const TOKEN_KEY = 'pneumo.token';

export function storedToken(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function storeToken(token: string): void {
  sessionStorage.setItem(TOKEN_KEY, token);
}

export function forgetToken(): void {
  sessionStorage.removeItem(TOKEN_KEY);
}

export interface SessionInfo {
  signedIn: true;
  role: string;
  label: string;
  via: 'cookie' | 'bearer';
  expiresAt: string | null;
}

/** Who the service takes the caller for (bearer token or session cookie), or null when neither is accepted. */
export async function currentSession(token = storedToken()): Promise<SessionInfo | null> {
  const headers = new Headers();
  if (token) headers.set('authorization', `Bearer ${token}`);
  const response = await fetch('/api/session', { headers });
  if (!response.ok) return null;
  const body = (await response.json()) as SessionInfo | { signedIn: false };
  return body.signedIn ? body : null;
}

/** Redeems a login link's code: the service sets the session cookie. */
export async function redeemLoginCode(code: string): Promise<void> {
  const response = await fetch('/api/session', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ code }),
  });
  if (!response.ok) {
    const body = (await response.json().catch(() => ({}))) as { message?: string };
    throw new ApiError(response.status, body.message ?? `${response.status} ${response.statusText}`);
  }
}

export async function endSession(): Promise<void> {
  await fetch('/api/session', { method: 'DELETE' });
}

export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Called when the service refuses the token (401), so that the app can ask for a new one. */
let onUnauthorized: () => void = () => {};
export function setUnauthorizedHandler(handler: () => void): void {
  onUnauthorized = handler;
}

export async function apiFetch(path: string, init: RequestInit = {}, token = storedToken()): Promise<Response> {
  const headers = new Headers(init.headers);
  if (token) headers.set('authorization', `Bearer ${token}`);
  const response = await fetch(path, { ...init, headers });
  if (response.ok) return response;
  let message = `${response.status} ${response.statusText}`;
  try {
    const body = (await response.json()) as { message?: string };
    if (body.message) message = body.message;
  } catch {
    // Not JSON: keep the status line.
  }
  if (response.status === 401) onUnauthorized();
  throw new ApiError(response.status, message);
}

export async function getJson<T>(path: string): Promise<T> {
  return (await (await apiFetch(path)).json()) as T;
}

/** What the input gate said (src/pipeline/input-gate.ts GateOutcome). */
export interface Gate {
  reasons: string[];
  oodScore: number | null;
  threshold: number | null;
  notes: string[];
  enabled: boolean;
}

export interface Result {
  /** `not-assessed`: the input gate refused the image; no probability, decision or mask is given. */
  status: 'assessed' | 'not-assessed';
  gate: Gate;
  /** "not assessed: lateral view" (the reasons in words), or null when assessed. */
  notAssessed: string | null;
  /** Calibrated with the bundle's temperature when `calibrated`; `probabilityUncalibrated` is the model's own. Null when not assessed. */
  probability: number | null;
  probabilityUncalibrated: number | null;
  calibrated: boolean;
  /** Null when not assessed: not looked at is not a negative. */
  decision: boolean | null;
  segmented: boolean;
  thresholds: { classifier: number; pixel: number; minArea: number };
  rle: string;
  area: { pixels: number; cm2: number | null };
  bbox: { x: number; y: number; width: number; height: number } | null;
  /** The ACCP and BTS measures of the mask (src/pipeline/pneumothorax-size.ts); null without a mask or pixel spacing. */
  size: PneumothoraxSize | null;
  maskUrl: string | null;
  overlayUrl: string;
}

export type Verdict = 'agree' | 'disagree';

export interface Review {
  verdict: Verdict;
  note: string | null;
  mask: string | null;
  reviewer: string;
  reviewedAt: string;
}

export interface Instance {
  uid: string;
  studyUid: string | null;
  patient: { id: string | null; name: string | null; sex: string | null; age: number | null };
  accessionNumber: string | null;
  /** DICOM DA (YYYYMMDD) and TM (HHMMSS.FFFFFF), as the file gives them. */
  studyDate: string | null;
  studyTime: string | null;
  studyDescription: string | null;
  viewPosition: string | null;
  /** [row, column] mm. */
  pixelSpacing: [number, number] | null;
  rows: number;
  columns: number;
  photometricInterpretation: string;
  window: { center: number; width: number } | null;
  rescale: { slope: number; intercept: number };
  receivedAt: string;
  state: 'queued' | 'running' | 'done' | 'failed';
  error: string | null;
  result: Result | null;
  review: Review | null;
}

export interface WorklistItem extends Instance {
  waitingMinutes: number;
  escalated: boolean;
}

export interface Worklist {
  now: string;
  escalateAfterMinutes: number;
  items: WorklistItem[];
  nextCursor: string | null;
}

/** The whole worklist (every state) in the service's priority order, following its cursor. */
export async function fetchWorklist(): Promise<WorklistItem[]> {
  const items: WorklistItem[] = [];
  let cursor: string | null = null;
  do {
    const query: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
    const page: Worklist = await getJson<Worklist>(`/api/worklist?status=all&limit=500${query}`);
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor && items.length < 5000);
  return items;
}

export function fetchInstance(uid: string): Promise<Instance> {
  return getJson<Instance>(`/api/instances/${uid}`);
}

export async function postReview(uid: string, verdict: Verdict, note: string, mask: string | null): Promise<Review> {
  const body: { verdict: Verdict; note?: string; mask?: string } = { verdict };
  if (note.trim()) body.note = note.trim();
  if (mask !== null) body.mask = mask;
  const response = await apiFetch(`/api/instances/${uid}/review`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return (await response.json()) as Review;
}

/** The model-input contract's display transform: 8-bit grey per stored value, `grey[v - first]`. */
export interface ModelDisplay {
  first: number;
  grey: Uint8Array;
}

export async function fetchModelDisplay(uid: string): Promise<ModelDisplay> {
  const response = await apiFetch(`/api/instances/${uid}/model-display`);
  const first = Number(response.headers.get('x-lut-first'));
  if (!Number.isInteger(first)) throw new ApiError(0, `model display of ${uid}: no X-Lut-First header`);
  return { first, grey: new Uint8Array(await response.arrayBuffer()) };
}

export interface StoredPixels {
  width: number;
  height: number;
  values: Uint8Array | Uint16Array | Int16Array | Int32Array;
  photometric: string;
  slope: number;
  intercept: number;
  window: { center: number; width: number } | null;
}

export async function fetchPixels(uid: string): Promise<StoredPixels> {
  const response = await apiFetch(`/api/instances/${uid}/pixels`);
  const h = (name: string) => response.headers.get(name);
  const buffer = await response.arrayBuffer();
  const width = Number(h('X-Pixel-Columns'));
  const height = Number(h('X-Pixel-Rows'));
  const sampleType = h('X-Sample-Type');
  const values =
    sampleType === 'uint8'
      ? new Uint8Array(buffer)
      : sampleType === 'uint16'
        ? new Uint16Array(buffer)
        : sampleType === 'int16'
          ? new Int16Array(buffer)
          : sampleType === 'int32'
            ? new Int32Array(buffer)
            : null;
  if (!values) throw new ApiError(0, `pixels of ${uid}: unknown sample type ${sampleType}`);
  if (values.length !== width * height)
    throw new ApiError(0, `pixels of ${uid}: ${values.length} samples for ${width}x${height}`);
  const center = h('X-Window-Center');
  const windowWidth = h('X-Window-Width');
  return {
    width,
    height,
    values,
    photometric: h('X-Photometric-Interpretation') ?? 'MONOCHROME2',
    slope: Number(h('X-Rescale-Slope') ?? 1),
    intercept: Number(h('X-Rescale-Intercept') ?? 0),
    window: center !== null && windowWidth !== null ? { center: Number(center), width: Number(windowWidth) } : null,
  };
}
