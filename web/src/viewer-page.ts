// The viewer's page: the stored pixels on a canvas with window/level done here, zoom/pan/fit, the
// predicted mask over it (toggle, opacity, fill or outline) with the pneumothorax size measured on it,
// a brush and an eraser to correct the mask, a ruler in mm, and the review (agree, disagree with a
// note, the corrected mask as SIIM RLE). This file is the DOM: the view's numbers are viewport.ts, the
// keys viewer-keymap.ts, the window presets window-presets.ts.
import { decodeRle, encodeRle } from '../../src/data/rle.js';
import type { Mask } from '../../src/data/image.js';
import {
  fetchInstance,
  fetchModelDisplay,
  fetchPixels,
  fetchWorklist,
  postReview,
  type Instance,
  type ModelDisplay,
  type StoredPixels,
  type Verdict,
} from './api.js';
import { el, plainKey, typingInField } from './dom.js';
import { personNameText, studyDateText } from './dicom-text.js';
import { areaText, sizeLine } from './format.js';
import { paintStroke, renderMask, type MaskStyle } from './mask-layer.js';
import { rulerLength, rulerText } from './ruler.js';
import { lastShownOrder, markOpened, nextStudy, setSelectedStudy } from './session.js';
import { studyKey } from './study-rows.js';
import { keyOf, TOOLS, viewerActionForKey, type Tool, type ViewerAction } from './viewer-keymap.js';
import {
  fitViewport,
  imageToScreen,
  panFrom,
  screenToImage,
  zoomAbout,
  type Point,
  type Viewport,
} from './viewport.js';
import { modalityRange, renderLut, renderWindow, type ModalityRange, type Window } from './window-level.js';
import { DEFAULT_PRESET, MODEL_PRESET, presetById, WINDOW_PRESETS } from './window-presets.js';

// The words of the service's overlay banner (src/pipeline/overlay.ts, which needs sharp and so stays out of the bundle).
const TITLE_POSITIVE = 'THIS IMAGE CONTAINS PNEUMOTHORAX';
const TITLE_NEGATIVE = 'THIS IMAGE DOES NOT CONTAIN PNEUMOTHORAX';
/** The ruler and the size measurements: yellow, apart from the grey film and the magenta mask. */
const MEASURE_COLOUR = '#ffd34d';

export interface ViewerNavigation {
  open(uid: string): void;
  back(): void;
}

export function showViewer(root: HTMLElement, uid: string, nav: ViewerNavigation): () => void {
  markOpened(uid);
  const title = el('h1', { class: 'verdict-title' }, 'loading…');
  const subtitle = el('p', { class: 'verdict-lines' }, '\u00a0');
  const backButton = el('button', { type: 'button', class: 'back' }, '← Worklist (Esc)');
  const canvas = el('canvas', { class: 'image-canvas', tabindex: 0, 'aria-label': 'X-ray image' });
  const stage = el('div', { class: 'stage' }, canvas);
  const windowReadout = el('output', { class: 'readout' }, '');
  const zoomReadout = el('output', { class: 'readout' }, '');
  const rulerReadout = el('output', { class: 'readout ruler-readout' }, 'Ruler (M): drag on the image');
  const sizeReadout = el('p', { class: 'size-readout' }, '');
  const button = (label: string, action: ViewerAction) =>
    el('button', { type: 'button', 'data-action': action }, `${label} (${keyOf(action)})`);
  const overlayToggle = el('input', { type: 'checkbox', id: 'overlay-toggle', checked: true });
  const opacity = el('input', { type: 'range', id: 'opacity', min: 0, max: 100, value: 45 });
  const styleSelect = el(
    'select',
    { id: 'mask-style' },
    el('option', { value: 'fill' }, 'Fill'),
    el('option', { value: 'outline' }, 'Outline'),
  );
  const brushSize = el('input', { type: 'range', id: 'brush-size', min: 2, max: 80, value: 16 });
  const toolButtons = TOOLS.map(({ tool, label }) =>
    el('button', { type: 'button', class: 'tool', 'data-tool': tool }, `${label} (${keyOf(`tool-${tool}`)})`),
  );
  const maskState = el('p', { class: 'mask-state', role: 'status' }, '');
  const reviewState = el('p', { class: 'review-state', role: 'status' }, '');
  const meta = el('dl', { class: 'meta' });
  const studyImages = el('div', { class: 'buttons study-images', role: 'group', 'aria-label': 'Images of this study' });
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
      el('div', { class: 'buttons' }, button('Agree', 'agree'), button('Disagree', 'disagree'), button('Next', 'next')),
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
        ...[...WINDOW_PRESETS, MODEL_PRESET].map((preset) => button(preset.label, `preset-${preset.id}`)),
        button('Reset', 'reset'),
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
        button('Fit', 'fit'),
        button('Zoom in', 'zoom-in'),
        button('Zoom out', 'zoom-out'),
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
      button('Revert mask', 'revert'),
      maskState,
      rulerReadout,
    ),
    el('section', {}, el('h2', {}, 'Size'), sizeReadout),
    el('section', {}, el('h2', {}, 'Study'), meta, studyImages),
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
  let mask: Mask | null = null;
  let edited = false;
  let tool: Tool = 'window';
  let view: Viewport = { zoom: 1, panX: 0, panY: 0 };
  let fitted = true;
  let ruler: { from: Point; to: Point } | null = null;
  const imageCanvas = document.createElement('canvas');
  const maskCanvas = document.createElement('canvas');
  let imageData: ImageData | null = null;
  let maskData: ImageData | null = null;
  let frame = 0;
  let imageDirty = true;
  /** Set while the model preset is shown; any window (a preset, a drag) clears it. */
  let modelDisplay: ModelDisplay | null = null;
  let modelDisplayCache: ModelDisplay | null = null;
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
      if (modelDisplay) renderLut(pixels.values, modelDisplay, imageData.data);
      else
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
    const { zoom, panX, panY } = view;
    ctx.setTransform(zoom * dpr, 0, 0, zoom * dpr, panX * dpr, panY * dpr);
    ctx.imageSmoothingEnabled = zoom < 2;
    ctx.drawImage(imageCanvas, 0, 0);
    if (overlayToggle.checked && mask) {
      ctx.globalAlpha = Number(opacity.value) / 100;
      ctx.drawImage(maskCanvas, 0, 0);
      ctx.globalAlpha = 1;
    }
    // Lines in screen pixels, so that they stay thin at any zoom.
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    const size = instance?.result?.size;
    if (overlayToggle.checked && size && !edited)
      for (const side of size.sides) {
        const a = side.apexToCupola;
        line({ x: a.column + 0.5, y: a.top }, { x: a.column + 0.5, y: a.bottom + 1 }, [6, 4]);
        const b = side.interpleural;
        if (b) line({ x: b.left, y: b.row + 0.5 }, { x: b.right + 1, y: b.row + 0.5 }, [6, 4]);
      }
    if (ruler) {
      line(ruler.from, ruler.to, []);
      const end = imageToScreen(view, ruler.to);
      ctx.font = '600 15px "DejaVu Sans", sans-serif';
      ctx.fillStyle = MEASURE_COLOUR;
      ctx.strokeStyle = '#000';
      ctx.lineWidth = 3;
      const text = rulerText(rulerLength(ruler.from, ruler.to, instance?.pixelSpacing ?? null));
      ctx.strokeText(text, end.x + 8, end.y - 8);
      ctx.fillText(text, end.x + 8, end.y - 8);
    }
    windowReadout.textContent = modelDisplay
      ? "model input: the grey the model's input was made from"
      : `centre ${win.center.toFixed(1)} · width ${win.width.toFixed(1)}`;
    canvas.dataset.rendering = modelDisplay ? 'model' : 'window';
    zoomReadout.textContent = `zoom ${(zoom * 100).toFixed(0)}%`;
    canvas.dataset.zoom = String(zoom);
    canvas.dataset.panX = String(panX);
    canvas.dataset.panY = String(panY);
    canvas.dataset.overlay = overlayToggle.checked ? 'on' : 'off';

    function line(from: Point, to: Point, dash: number[]): void {
      const a = imageToScreen(view, from);
      const b = imageToScreen(view, to);
      ctx.setLineDash(dash);
      ctx.lineWidth = 2;
      ctx.strokeStyle = MEASURE_COLOUR;
      ctx.beginPath();
      ctx.moveTo(a.x, a.y);
      ctx.lineTo(b.x, b.y);
      ctx.stroke();
      ctx.setLineDash([]);
    }
  }

  function fit(redraw = true): void {
    if (!pixels) return;
    view = fitViewport(pixels, { width: stage.clientWidth, height: stage.clientHeight });
    fitted = true;
    if (redraw) schedule();
  }

  function zoomAt(factor: number, at: Point = { x: stage.clientWidth / 2, y: stage.clientHeight / 2 }): void {
    view = zoomAbout(view, factor, at);
    fitted = false;
    schedule();
  }

  function showRuler(): void {
    if (!ruler) return;
    const length = rulerLength(ruler.from, ruler.to, instance?.pixelSpacing ?? null);
    rulerReadout.textContent = `ruler ${rulerText(length)}`;
    canvas.dataset.rulerMm = length.mm === null ? '' : length.mm.toFixed(2);
    canvas.dataset.rulerPx = length.pixels.toFixed(2);
  }

  function setWindow(next: Window): void {
    modelDisplay = null;
    win = { center: next.center, width: Math.max(1, next.width) };
    imageDirty = true;
    schedule();
  }

  /** The model preset: the stored values through the model-input contract's display transform. */
  async function showModelInput(): Promise<void> {
    try {
      modelDisplayCache ??= await fetchModelDisplay(uid);
      modelDisplay = modelDisplayCache;
      imageDirty = true;
      schedule();
    } catch (err) {
      windowReadout.textContent = `model input: ${(err as Error).message}`;
    }
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
      ['Patient', personNameText(i.patient.name)],
      ['Patient ID', i.patient.id ?? '–'],
      ['Accession', i.accessionNumber ?? '–'],
      ['Study', studyDateText(i)],
      ['Description', i.studyDescription ?? '–'],
      ['Sex', i.patient.sex ?? '–'],
      ['Age', i.patient.age !== null ? String(i.patient.age) : '–'],
      ['View', i.viewPosition ?? '–'],
      ['Size', `${i.columns} × ${i.rows}`],
      ['Spacing', i.pixelSpacing ? `${i.pixelSpacing[0]} × ${i.pixelSpacing[1]} mm` : '–'],
      ['Photometric', i.photometricInterpretation],
      ['UID', i.uid],
    ];
    meta.replaceChildren(...rows.flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v)]));
  }

  /** Buttons for every image of the study (a PA and a lateral), the one shown pressed. */
  async function showStudyImages(i: Instance): Promise<void> {
    try {
      const key = studyKey(i);
      const images = (await fetchWorklist()).filter((item) => studyKey(item) === key);
      if (images.length < 2) return;
      studyImages.replaceChildren(
        ...images.map((item, n) => {
          const b = el(
            'button',
            { type: 'button', class: 'study-image', 'data-uid': item.uid, 'aria-pressed': String(item.uid === uid) },
            `${n + 1}: ${item.viewPosition || 'image'}`,
          );
          b.addEventListener('click', () => item.uid !== uid && nav.open(item.uid));
          return b;
        }),
      );
    } catch {
      // The study's other images are a convenience; the image shown is complete without them.
    }
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
  let drag: { mode: Tool; x: number; y: number; win: Window; view: Viewport } | null = null;
  const toImage = (event: PointerEvent) => {
    const box = canvas.getBoundingClientRect();
    return screenToImage(view, { x: event.clientX - box.left, y: event.clientY - box.top });
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
    drag = { mode, x: event.clientX, y: event.clientY, win: { ...win }, view };
    canvas.setPointerCapture(event.pointerId);
    lastPaint = null;
    if (mode === 'brush' || mode === 'eraser') paint(event);
    if (mode === 'ruler') {
      const at = toImage(event);
      ruler = { from: at, to: at };
      showRuler();
      schedule();
    }
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
      view = panFrom(drag.view, dx, dy);
      fitted = false;
      schedule();
    } else if (drag.mode === 'ruler' && ruler) {
      ruler.to = toImage(event);
      showRuler();
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
      zoomAt(Math.exp(-event.deltaY / 500), { x: event.clientX - box.left, y: event.clientY - box.top });
    },
    { passive: false },
  );

  const presetInputs = () => ({
    values: pixels!.values,
    slope: pixels!.slope,
    intercept: pixels!.intercept,
    range,
    fileWindow: pixels!.window,
  });
  const actions: Record<string, () => void> = {
    agree: () => void review('agree', ''),
    disagree,
    next: () => void next(),
    ...Object.fromEntries(
      WINDOW_PRESETS.map((preset) => [`preset-${preset.id}`, () => pixels && setWindow(preset.choose(presetInputs()))]),
    ),
    [`preset-${MODEL_PRESET.id}`]: () => void showModelInput(),
    reset: () => pixels && setWindow(presetById(DEFAULT_PRESET).choose(presetInputs())),
    fit: () => fit(),
    'zoom-in': () => zoomAt(1.25),
    'zoom-out': () => zoomAt(0.8),
    revert: () => loadMask(),
    'toggle-mask': () => {
      overlayToggle.checked = !overlayToggle.checked;
      schedule();
    },
    'toggle-style': () => {
      styleSelect.value = styleSelect.value === 'fill' ? 'outline' : 'fill';
      maskDirty = true;
      schedule();
    },
    'brush-smaller': () => (brushSize.value = String(Math.max(2, Number(brushSize.value) - 2))),
    'brush-larger': () => (brushSize.value = String(Number(brushSize.value) + 2)),
    back: () => nav.back(),
    ...Object.fromEntries(TOOLS.map(({ tool: t }) => [`tool-${t}`, () => setTool(t)])),
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

  const onKey = (event: KeyboardEvent) => {
    if (dialog.open || typingInField(event) || !plainKey(event)) return;
    const name = viewerActionForKey(event.key);
    const action = name ? actions[name] : undefined;
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
      const notAssessed = r?.status === 'not-assessed';
      title.textContent = !r
        ? `No result yet (${i.state})`
        : notAssessed
          ? (r.notAssessed ?? 'not assessed')
          : r.decision
            ? TITLE_POSITIVE
            : TITLE_NEGATIVE;
      title.classList.toggle('positive', !!r?.decision);
      title.classList.toggle('not-assessed', notAssessed);
      subtitle.textContent = !r
        ? (i.error ?? '')
        : notAssessed || r.probability === null
          ? 'The input gate refused this image: outside what the model was made for, so no finding is reported.'
          : (r.calibrated
              ? `calibrated probability ${r.probability.toFixed(3)} (model's own ${r.probabilityUncalibrated?.toFixed(3)}, threshold ${r.thresholds.classifier})`
              : `probability ${r.probability.toFixed(3)} (threshold ${r.thresholds.classifier})`) +
            ` · area ${areaText(i)}${r.size ? ` · ${sizeLine(i)}` : ''}`;
      sizeReadout.textContent = sizeLine(i);
      sizeReadout.classList.toggle('large', !!r?.size?.large);
      range = modalityRange(p.values, p.slope, p.intercept);
      win = presetById(DEFAULT_PRESET).choose({
        values: p.values,
        slope: p.slope,
        intercept: p.intercept,
        range,
        fileWindow: p.window,
      });
      imageCanvas.width = maskCanvas.width = p.width;
      imageCanvas.height = maskCanvas.height = p.height;
      imageData = new ImageData(p.width, p.height);
      maskData = new ImageData(p.width, p.height);
      imageDirty = true;
      setSelectedStudy(studyKey(i));
      showMeta(i);
      void showStudyImages(i);
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
