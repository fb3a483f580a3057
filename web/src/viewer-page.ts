// The viewer: the stored pixels on a canvas with window/level done here, zoom/pan/fit, the predicted
// mask over it (toggle, opacity, fill or outline), a brush and an eraser to correct the mask, and the
// review (agree, disagree with a note, the corrected mask as SIIM RLE). Every action has a key.
import { decodeRle, encodeRle } from '../../src/data/rle.js';
import type { Mask } from '../../src/data/image.js';
import {
  fetchInstance,
  fetchPixels,
  fetchWorklist,
  postReview,
  type Instance,
  type StoredPixels,
  type Verdict,
} from './api.js';
import { el, plainKey, typingInField } from './dom.js';
import { areaText } from './format.js';
import { paintStroke, renderMask, type MaskStyle } from './mask-layer.js';
import { lastShownOrder, markOpened, nextStudy, setSelectedStudy } from './session.js';
import {
  fullWindow,
  modalityRange,
  percentileWindow,
  renderWindow,
  type ModalityRange,
  type Window,
} from './window-level.js';

// The words of the service's overlay banner (src/pipeline/overlay.ts, which needs sharp and so stays out of the bundle).
const TITLE_POSITIVE = 'THIS IMAGE CONTAINS PNEUMOTHORAX';
const TITLE_NEGATIVE = 'THIS IMAGE DOES NOT CONTAIN PNEUMOTHORAX';
type Tool = 'window' | 'pan' | 'brush' | 'eraser';
const TOOL_KEYS: Record<string, Tool> = { w: 'window', p: 'pan', b: 'brush', e: 'eraser' };
const TOOL_LABELS: Record<Tool, string> = {
  window: 'Window (W)',
  pan: 'Pan (P)',
  brush: 'Brush (B)',
  eraser: 'Eraser (E)',
};

export interface ViewerNavigation {
  open(uid: string): void;
  back(): void;
}

export function showViewer(root: HTMLElement, uid: string, nav: ViewerNavigation): () => void {
  markOpened(uid);
  setSelectedStudy(uid);
  const title = el('h1', { class: 'verdict-title' }, 'loading…');
  const subtitle = el('p', { class: 'verdict-lines' }, '\u00a0');
  const backButton = el('button', { type: 'button', class: 'back' }, '← Worklist (Esc)');
  const canvas = el('canvas', { class: 'image-canvas', tabindex: 0, 'aria-label': 'X-ray image' });
  const stage = el('div', { class: 'stage' }, canvas);
  const windowReadout = el('output', { class: 'readout' }, '');
  const zoomReadout = el('output', { class: 'readout' }, '');
  const button = (label: string, action: string) => el('button', { type: 'button', 'data-action': action }, label);
  const overlayToggle = el('input', { type: 'checkbox', id: 'overlay-toggle', checked: true });
  const opacity = el('input', { type: 'range', id: 'opacity', min: 0, max: 100, value: 45 });
  const styleSelect = el(
    'select',
    { id: 'mask-style' },
    el('option', { value: 'fill' }, 'Fill'),
    el('option', { value: 'outline' }, 'Outline'),
  );
  const brushSize = el('input', { type: 'range', id: 'brush-size', min: 2, max: 80, value: 16 });
  const toolButtons = (Object.keys(TOOL_LABELS) as Tool[]).map((tool) =>
    el('button', { type: 'button', class: 'tool', 'data-tool': tool }, TOOL_LABELS[tool]),
  );
  const maskState = el('p', { class: 'mask-state', role: 'status' }, '');
  const reviewState = el('p', { class: 'review-state', role: 'status' }, '');
  const meta = el('dl', { class: 'meta' });
  const noteField = el('textarea', { id: 'note', rows: 4, maxlength: 4000 });
  const dialog = el(
    'dialog',
    { class: 'note-dialog', 'aria-label': 'Disagree' },
    el(
      'form',
      { method: 'dialog' },
      el('label', { for: 'note' }, 'Why do you disagree? (optional; Ctrl+Enter records)'),
      noteField,
      el(
        'div',
        { class: 'dialog-buttons' },
        el('button', { type: 'submit', value: 'record', class: 'primary' }, 'Record disagreement'),
        el('button', { type: 'submit', value: 'cancel' }, 'Cancel'),
      ),
    ),
  );
  const panel = el(
    'aside',
    { class: 'panel' },
    el(
      'section',
      {},
      el('h2', {}, 'Review'),
      el(
        'div',
        { class: 'buttons' },
        button('Agree (A)', 'agree'),
        button('Disagree (D)', 'disagree'),
        button('Next (N)', 'next'),
      ),
      reviewState,
    ),
    el(
      'section',
      {},
      el('h2', {}, 'Window'),
      windowReadout,
      el(
        'div',
        { class: 'buttons' },
        button('DICOM (1)', 'preset-dicom'),
        button('Full (2)', 'preset-full'),
        button('Auto (3)', 'preset-auto'),
        button('Reset (R)', 'reset'),
      ),
    ),
    el(
      'section',
      {},
      el('h2', {}, 'View'),
      zoomReadout,
      el(
        'div',
        { class: 'buttons' },
        button('Fit (F)', 'fit'),
        button('Zoom in (+)', 'zoom-in'),
        button('Zoom out (−)', 'zoom-out'),
      ),
    ),
    el(
      'section',
      {},
      el('h2', {}, 'Mask'),
      el('label', { class: 'inline' }, overlayToggle, ' Show mask (O)'),
      el('label', { for: 'opacity' }, 'Opacity'),
      opacity,
      el('label', { for: 'mask-style' }, 'Style (L)'),
      styleSelect,
    ),
    el(
      'section',
      {},
      el('h2', {}, 'Tools'),
      el('div', { class: 'buttons' }, ...toolButtons),
      el('label', { for: 'brush-size' }, 'Brush radius ([ ])'),
      brushSize,
      button('Revert mask (Z)', 'revert'),
      maskState,
    ),
    el('section', {}, el('h2', {}, 'Study'), meta),
  );
  root.replaceChildren(
    el('header', { class: 'bar viewer-bar' }, backButton, el('div', { class: 'verdict' }, title, subtitle)),
    el('div', { class: 'viewer-layout' }, stage, panel),
    dialog,
  );

  let instance: Instance | null = null;
  let pixels: StoredPixels | null = null;
  let range: ModalityRange = { min: 0, max: 1 };
  let win: Window = { center: 0.5, width: 1 };
  let dicomWin: Window = win;
  let mask: Mask | null = null;
  let edited = false;
  let tool: Tool = 'window';
  let zoom = 1;
  let panX = 0;
  let panY = 0;
  let fitted = true;
  const imageCanvas = document.createElement('canvas');
  const maskCanvas = document.createElement('canvas');
  let imageData: ImageData | null = null;
  let maskData: ImageData | null = null;
  let frame = 0;
  let imageDirty = true;
  let maskDirty = true;

  const schedule = () => {
    if (!frame) frame = requestAnimationFrame(draw);
  };

  function draw(): void {
    frame = 0;
    const ctx = canvas.getContext('2d')!;
    const dpr = window.devicePixelRatio || 1;
    const w = Math.max(1, Math.round(stage.clientWidth * dpr));
    const h = Math.max(1, Math.round(stage.clientHeight * dpr));
    if (canvas.width !== w || canvas.height !== h) {
      canvas.width = w;
      canvas.height = h;
      if (fitted) fit(false);
    }
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, w, h);
    if (!pixels || !imageData) return;
    if (imageDirty) {
      renderWindow(
        pixels.values,
        pixels.slope,
        pixels.intercept,
        win,
        pixels.photometric === 'MONOCHROME1',
        imageData.data,
      );
      imageCanvas.getContext('2d')!.putImageData(imageData, 0, 0);
      imageDirty = false;
    }
    if (maskDirty && mask && maskData) {
      renderMask(mask, styleSelect.value as MaskStyle, maskData.data);
      maskCanvas.getContext('2d')!.putImageData(maskData, 0, 0);
      maskDirty = false;
    }
    ctx.setTransform(zoom * dpr, 0, 0, zoom * dpr, panX * dpr, panY * dpr);
    ctx.imageSmoothingEnabled = zoom < 2;
    ctx.drawImage(imageCanvas, 0, 0);
    if (overlayToggle.checked && mask) {
      ctx.globalAlpha = Number(opacity.value) / 100;
      ctx.drawImage(maskCanvas, 0, 0);
      ctx.globalAlpha = 1;
    }
    windowReadout.textContent = `centre ${win.center.toFixed(1)} · width ${win.width.toFixed(1)}`;
    zoomReadout.textContent = `zoom ${(zoom * 100).toFixed(0)}%`;
    canvas.dataset.zoom = String(zoom);
    canvas.dataset.panX = String(panX);
    canvas.dataset.panY = String(panY);
    canvas.dataset.overlay = overlayToggle.checked ? 'on' : 'off';
  }

  function fit(redraw = true): void {
    if (!pixels) return;
    const w = stage.clientWidth;
    const h = stage.clientHeight;
    zoom = Math.min(w / pixels.width, h / pixels.height);
    panX = (w - pixels.width * zoom) / 2;
    panY = (h - pixels.height * zoom) / 2;
    fitted = true;
    if (redraw) schedule();
  }

  function zoomAt(factor: number, cx = stage.clientWidth / 2, cy = stage.clientHeight / 2): void {
    const next = Math.min(32, Math.max(0.05, zoom * factor));
    panX = cx - ((cx - panX) * next) / zoom;
    panY = cy - ((cy - panY) * next) / zoom;
    zoom = next;
    fitted = false;
    schedule();
  }

  function setWindow(next: Window): void {
    win = { center: next.center, width: Math.max(1, next.width) };
    imageDirty = true;
    schedule();
  }

  function setTool(next: Tool): void {
    tool = next;
    for (const b of toolButtons) b.setAttribute('aria-pressed', String(b.dataset.tool === tool));
    canvas.dataset.tool = tool;
  }

  function showMaskState(): void {
    if (!mask) return;
    let area = 0;
    for (let i = 0; i < mask.data.length; i++) area += mask.data[i];
    maskState.textContent = edited
      ? `corrected mask, ${area} px (saved with the review)`
      : instance?.review?.mask
        ? `the reviewer's mask, ${area} px`
        : `the model's mask, ${area} px`;
  }

  function loadMask(): void {
    if (!instance || !pixels) return;
    const encoded = instance.review?.mask ?? instance.result?.rle ?? '-1';
    mask = decodeRle(encoded, pixels.width, pixels.height, instance.uid);
    edited = false;
    maskDirty = true;
    showMaskState();
    schedule();
  }

  function showReview(): void {
    const review = instance?.review;
    reviewState.textContent = review
      ? `${review.verdict === 'agree' ? 'Agreed' : 'Disagreed'} by ${review.reviewer} at ${new Date(review.reviewedAt).toLocaleString()}${review.note ? ` — “${review.note}”` : ''}`
      : 'Not reviewed yet.';
    reviewState.dataset.verdict = review?.verdict ?? '';
  }

  function showMeta(i: Instance): void {
    const rows: [string, string][] = [
      ['Sex', i.patient.sex ?? '–'],
      ['Age', i.patient.age !== null ? String(i.patient.age) : '–'],
      ['View', i.viewPosition ?? '–'],
      ['Size', `${i.columns} × ${i.rows}`],
      ['Photometric', i.photometricInterpretation],
      ['UID', i.uid],
    ];
    meta.replaceChildren(...rows.flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v)]));
  }

  async function review(verdict: Verdict, note: string): Promise<void> {
    if (!instance || !mask) return;
    const maskRle = edited || instance.review?.mask ? encodeRle(mask) : null;
    reviewState.textContent = 'saving…';
    try {
      instance.review = await postReview(instance.uid, verdict, note, maskRle);
      edited = false;
      showReview();
      showMaskState();
    } catch (err) {
      reviewState.textContent = `review not saved: ${(err as Error).message}`;
    }
  }

  async function next(): Promise<void> {
    try {
      const target = nextStudy(uid, await fetchWorklist(), lastShownOrder());
      if (target) nav.open(target);
      else {
        reviewState.textContent = 'This is the last study in the worklist.';
      }
    } catch (err) {
      reviewState.textContent = `worklist unavailable: ${(err as Error).message}`;
    }
  }

  function disagree(): void {
    noteField.value = instance?.review?.verdict === 'disagree' ? (instance.review.note ?? '') : '';
    dialog.showModal();
    noteField.focus();
  }
  dialog.addEventListener('close', () => {
    if (dialog.returnValue === 'record') void review('disagree', noteField.value);
    dialog.returnValue = '';
    canvas.focus();
  });
  noteField.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      dialog.close('record');
    }
  });

  // Pointer: the active tool on the left button; pan on the middle button or with Shift.
  let drag: { mode: Tool; x: number; y: number; win: Window; panX: number; panY: number } | null = null;
  const toImage = (event: PointerEvent) => {
    const box = canvas.getBoundingClientRect();
    return { x: (event.clientX - box.left - panX) / zoom, y: (event.clientY - box.top - panY) / zoom };
  };
  let lastPaint: { x: number; y: number } | null = null;
  function paint(event: PointerEvent): void {
    if (!mask) return;
    const at = toImage(event);
    const from = lastPaint ?? at;
    const radius = Number(brushSize.value);
    if (paintStroke(mask, from.x, from.y, at.x, at.y, radius, drag?.mode === 'brush' ? 1 : 0)) {
      edited = true;
      maskDirty = true;
      if (!overlayToggle.checked) overlayToggle.checked = true;
      schedule();
    }
    lastPaint = at;
  }
  canvas.addEventListener('pointerdown', (event) => {
    if (!pixels) return;
    canvas.focus();
    const mode: Tool = event.button === 1 || event.shiftKey ? 'pan' : tool;
    drag = { mode, x: event.clientX, y: event.clientY, win: { ...win }, panX, panY };
    canvas.setPointerCapture(event.pointerId);
    lastPaint = null;
    if (mode === 'brush' || mode === 'eraser') paint(event);
    event.preventDefault();
  });
  canvas.addEventListener('pointermove', (event) => {
    if (!drag) return;
    const dx = event.clientX - drag.x;
    const dy = event.clientY - drag.y;
    if (drag.mode === 'window') {
      const perPixel = Math.max(range.max - range.min, 1) / 400;
      setWindow({ center: drag.win.center + dy * perPixel, width: drag.win.width + dx * perPixel });
    } else if (drag.mode === 'pan') {
      panX = drag.panX + dx;
      panY = drag.panY + dy;
      fitted = false;
      schedule();
    } else paint(event);
  });
  const endDrag = () => {
    if (drag && (drag.mode === 'brush' || drag.mode === 'eraser')) showMaskState();
    drag = null;
    lastPaint = null;
  };
  canvas.addEventListener('pointerup', endDrag);
  canvas.addEventListener('pointercancel', endDrag);
  canvas.addEventListener(
    'wheel',
    (event) => {
      event.preventDefault();
      const box = canvas.getBoundingClientRect();
      zoomAt(Math.exp(-event.deltaY / 500), event.clientX - box.left, event.clientY - box.top);
    },
    { passive: false },
  );

  const actions: Record<string, () => void> = {
    agree: () => void review('agree', ''),
    disagree,
    next: () => void next(),
    'preset-dicom': () => setWindow(dicomWin),
    'preset-full': () => setWindow(fullWindow(range)),
    'preset-auto': () => pixels && setWindow(percentileWindow(pixels.values, pixels.slope, pixels.intercept)),
    reset: () => setWindow(dicomWin),
    fit: () => fit(),
    'zoom-in': () => zoomAt(1.25),
    'zoom-out': () => zoomAt(0.8),
    revert: () => loadMask(),
  };
  panel.addEventListener('click', (event) => {
    const target = (event.target as HTMLElement).closest('button');
    if (!target) return;
    if (target.dataset.action) actions[target.dataset.action]?.();
    if (target.dataset.tool) setTool(target.dataset.tool as Tool);
  });
  backButton.addEventListener('click', () => nav.back());
  overlayToggle.addEventListener('change', schedule);
  opacity.addEventListener('input', schedule);
  styleSelect.addEventListener('change', () => {
    maskDirty = true;
    schedule();
  });

  const keys: Record<string, () => void> = {
    a: actions.agree,
    d: actions.disagree,
    n: actions.next,
    o: () => {
      overlayToggle.checked = !overlayToggle.checked;
      schedule();
    },
    l: () => {
      styleSelect.value = styleSelect.value === 'fill' ? 'outline' : 'fill';
      maskDirty = true;
      schedule();
    },
    f: actions.fit,
    r: actions.reset,
    z: actions.revert,
    '1': actions['preset-dicom'],
    '2': actions['preset-full'],
    '3': actions['preset-auto'],
    '+': actions['zoom-in'],
    '=': actions['zoom-in'],
    '-': actions['zoom-out'],
    '[': () => (brushSize.value = String(Math.max(2, Number(brushSize.value) - 2))),
    ']': () => (brushSize.value = String(Number(brushSize.value) + 2)),
    escape: () => nav.back(),
  };
  const onKey = (event: KeyboardEvent) => {
    if (dialog.open || typingInField(event) || !plainKey(event)) return;
    const key = event.key.toLowerCase();
    const action = keys[key] ?? (TOOL_KEYS[key] ? () => setTool(TOOL_KEYS[key]) : undefined);
    if (!action) return;
    event.preventDefault();
    action();
  };
  document.addEventListener('keydown', onKey);
  const resize = new ResizeObserver(schedule);
  resize.observe(stage);
  setTool('window');
  schedule();

  void (async () => {
    try {
      const [i, p] = await Promise.all([fetchInstance(uid), fetchPixels(uid)]);
      instance = i;
      pixels = p;
      const r = i.result;
      title.textContent = !r ? `No result yet (${i.state})` : r.decision ? TITLE_POSITIVE : TITLE_NEGATIVE;
      title.classList.toggle('positive', !!r?.decision);
      subtitle.textContent = r
        ? (r.calibrated
            ? `calibrated probability ${r.probability.toFixed(3)} (model's own ${r.probabilityUncalibrated.toFixed(3)}, threshold ${r.thresholds.classifier})`
            : `probability ${r.probability.toFixed(3)} (threshold ${r.thresholds.classifier})`) +
          ` · area ${areaText(i)}`
        : (i.error ?? '');
      range = modalityRange(p.values, p.slope, p.intercept);
      dicomWin = p.window ?? fullWindow(range);
      win = dicomWin;
      imageCanvas.width = maskCanvas.width = p.width;
      imageCanvas.height = maskCanvas.height = p.height;
      imageData = new ImageData(p.width, p.height);
      maskData = new ImageData(p.width, p.height);
      imageDirty = true;
      showMeta(i);
      showReview();
      loadMask();
      fit();
      canvas.dataset.ready = 'true';
      canvas.focus();
    } catch (err) {
      title.textContent = `Cannot show ${uid}: ${(err as Error).message}`;
    }
  })();

  return () => {
    document.removeEventListener('keydown', onKey);
    resize.disconnect();
    if (frame) cancelAnimationFrame(frame);
  };
}
