// "Try a film here" (#/local): a film dropped on the page (or picked) is read and run by the exported
// models inside the browser (local-model.ts); the page shows the probability and the mask over the
// film. The last result is also left on window.pneumoLocalResult, for the browser test that compares it
// with the server's.
import { el } from './dom.js';
import { readFilm, type GrayFilm } from './local-image.js';
import type { LocalModels, LocalResult } from './local-model.js';

declare global {
  interface Window {
    pneumoLocalResult?: {
      probability: number;
      segmented: boolean;
      area: number;
      width: number;
      height: number;
      mask: string;
      /** The classifier's input plane, float32 little-endian, base64. */
      classifierInput: string;
    };
  }
}

function draw(canvas: HTMLCanvasElement, film: GrayFilm, result: LocalResult): void {
  canvas.width = film.width;
  canvas.height = film.height;
  const context = canvas.getContext('2d')!;
  const image = context.createImageData(film.width, film.height);
  for (let i = 0; i < film.pixels.length; i++) {
    const v = Math.round(film.pixels[i] * 255);
    const on = result.mask[i] === 1;
    image.data[4 * i] = on ? Math.round(0.55 * v + 0.45 * 255) : v;
    image.data[4 * i + 1] = on ? Math.round(0.55 * v) : v;
    image.data[4 * i + 2] = on ? Math.round(0.55 * v + 0.45 * 255) : v;
    image.data[4 * i + 3] = 255;
  }
  context.putImageData(image, 0, 0);
}

/** Bytes as base64 (a mask, one byte per pixel, or a float plane), small enough to hand to a test. */
function pack(bytes: Uint8Array): string {
  let text = '';
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
}

export function showLocal(root: HTMLElement, nav: { back(): void }): () => void {
  const status = el('p', { class: 'local-status', role: 'status' }, 'Drop a chest film (DICOM, PNG or JPEG) here.');
  const picker = el('input', { type: 'file', id: 'local-file', accept: '.dcm,application/dicom,image/png,image/jpeg' });
  const canvas = el('canvas', { class: 'local-canvas' });
  const verdict = el('p', { class: 'local-result', id: 'local-result' });
  const back = el('button', { type: 'button' }, 'Worklist');
  back.addEventListener('click', () => nav.back());
  const zone = el(
    'section',
    { class: 'local-drop' },
    el('h1', {}, 'Try a film in this browser'),
    el('p', {}, 'The film is read and the models run on this computer; nothing is uploaded.'),
    picker,
    status,
    verdict,
    canvas,
  );
  let models: Promise<LocalModels> | null = null;
  let active = true;
  const handle = async (file: File | undefined) => {
    if (!file) return;
    try {
      status.textContent = 'Loading the models...';
      models ??= import('./local-model.js').then((m) => m.loadLocalModels());
      const loaded = await models;
      status.textContent = `Reading ${file.name}...`;
      const film = await readFilm(file);
      status.textContent = 'Running the models...';
      const result = await loaded.run(film);
      if (!active) return;
      draw(canvas, film, result);
      verdict.textContent =
        `probability ${result.probability.toFixed(3)} (threshold ${result.thresholds.classifier}); ` +
        (result.area > 0 ? `pneumothorax outlined, ${result.area} pixels` : 'no mask');
      status.textContent = `${file.name}: ${film.width} x ${film.height}`;
      window.pneumoLocalResult = {
        probability: result.probability,
        segmented: result.segmented,
        area: result.area,
        width: film.width,
        height: film.height,
        mask: pack(result.mask),
        classifierInput: pack(new Uint8Array(result.classifierInput.slice().buffer)),
      };
    } catch (err) {
      status.textContent = `Cannot run this film: ${(err as Error).message}`;
    }
  };
  picker.addEventListener('change', () => void handle(picker.files?.[0]));
  zone.addEventListener('dragover', (event) => event.preventDefault());
  zone.addEventListener('drop', (event) => {
    event.preventDefault();
    void handle(event.dataTransfer?.files[0]);
  });
  root.replaceChildren(el('header', { class: 'bar' }, back), zone);
  return () => {
    active = false;
  };
}
