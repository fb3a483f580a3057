// One synthetic case: header, 8-bit image and pneumothorax masks, all drawn from Rng.derive(seed,
// index) so a case does not depend on how many others are generated or in which order.
import { Rng } from '../random.js';
import { emptyMask, type Mask } from '../image.js';
import { drawAnatomy, type Anatomy } from './anatomy.js';
import { renderBody } from './body.js';
import { renderBones } from './bones.js';
import { renderWires } from './devices.js';
import { hasRole } from './composition.js';
import { drawMetadata, MALE_RATE, PA_RATE, type SynthMetadata } from './metadata.js';
import type { SynthOptions } from './options.js';
import { drawPneumothorax, partDepthAt, type Pneumothorax } from './pneumothorax.js';
import { addSmoothNoise, smoothstep } from './raster.js';
import { renderLungTexture } from './texture.js';
import { drawConfounders, renderConfounders, type Confounders } from './confounders.js';
import { siimMultiRowCount } from './siim-reference.js';

export interface SynthCase {
  index: number;
  metadata: SynthMetadata;
  /** size x size, row-major, 0..255, bright = dense (MONOCHROME2). */
  pixels: Uint8Array;
  size: number;
  /** One mask per separate part of the pneumothorax (empty for a negative image); they do not overlap. */
  parts: Mask[];
  /** Where the lungs are (pneumothorax included): analysis and tests compare texture inside and out. */
  lungField: Mask;
  /** Which lung has the pneumothorax: 'right' is the patient's right (image left); null when negative. */
  side: 'right' | 'left' | null;
  implausibleAge: boolean;
  duplicateRow: boolean;
  /** How faint the finding is: pleural-line contrast and the share of texture the air replaces (positives). */
  difficulty: { lineContrast: number; textureLoss: number } | null;
  confounders: Confounders;
}

/** Width of the soft edge of the lung field, image units. */
const LUNG_EDGE = 0.005;

/**
 * Removes the lungs' air and lays their texture over them except inside the pneumothorax. Also fills
 * the part masks and the lung field.
 */
function renderLungs(
  anatomy: Anatomy,
  texture: Float32Array,
  aeration: Float32Array,
  ptx: Pneumothorax | null,
  textureLoss: number,
  size: number,
  density: Float32Array,
  parts: Mask[],
  lungField: Mask,
): void {
  anatomy.lungs.forEach((lung, side) => {
    const b = lung.bounds();
    const span = anatomy.lungSpans[side];
    const myParts = ptx ? ptx.parts.map((p, k) => ({ p, k })).filter(({ p }) => p.lung === side) : [];
    const px0 = Math.max(0, Math.floor(b.x0 * size) - 1),
      px1 = Math.min(size - 1, Math.ceil(b.x1 * size) + 1);
    const py0 = Math.max(0, Math.floor(b.y0 * size) - 1),
      py1 = Math.min(size - 1, Math.ceil(b.y1 * size) + 1);
    for (let py = py0; py <= py1; py++) {
      const y = (py + 0.5) / size;
      // Bases carry more soft tissue in front of and behind them than the upper zones.
      const vertical = 1 - 0.18 * smoothstep(span.top, span.bottom, y);
      for (let px = px0; px <= px1; px++) {
        const x = (px + 0.5) / size;
        const dx = x - lung.cx,
          dy = y - lung.cy;
        const r = Math.sqrt(dx * dx + dy * dy);
        const theta = Math.atan2(dy, dx);
        const outline = lung.radiusAt(theta);
        if (r >= outline + LUNG_EDGE) continue;
        const k = py * size + px;
        const field = smoothstep(outline + LUNG_EDGE * 0.5, outline - LUNG_EDGE * 0.5, r);
        if (r < outline) lungField.data[k] = 1;
        // The lung is thinner near its edge, so it removes less density there.
        const inner = Math.max(0, 1 - r / outline);
        const air = anatomy.airDensity * aeration[k] * vertical * (0.7 + 0.3 * Math.sqrt(Math.min(1, inner * 3)));
        let inPneumothorax = false;
        for (const { p, k: partIndex } of myParts) {
          const depth = partDepthAt(p, theta);
          if (depth > 0 && r >= outline * (1 - depth) && r < outline) {
            inPneumothorax = true;
            parts[partIndex].data[k] = 1;
          }
        }
        if (inPneumothorax && ptx) {
          // A faint pneumothorax keeps some of the lung's markings in front of and behind it.
          if (textureLoss === 1) density[k] -= field * (air + ptx.extraAir);
          else density[k] += field * ((1 - textureLoss) * texture[k] - air - textureLoss * ptx.extraAir);
        } else density[k] += field * (texture[k] - air);
      }
    }
  });
}

/**
 * The visceral pleural line: a thin bright line on the lung side of the pneumothorax's inner border,
 * at a constant distance from the mask all round it (the crescent's ends included), measured with a
 * chamfer distance transform over the pneumothorax's bounding box.
 */
function renderPleuralLine(
  ptx: Pneumothorax,
  parts: readonly Mask[],
  lungField: Mask,
  size: number,
  density: Float32Array,
): void {
  // A line thinner than a pixel would alias into dashes: draw it a pixel wide and fainter, which
  // keeps its integral, i.e. what survives downsampling.
  const widthPx = Math.max(ptx.lineWidth * size, 1.1);
  const gain = (ptx.lineWidth * size) / widthPx;
  const margin = Math.ceil(2.5 * widthPx) + 2;
  let x0 = size,
    y0 = size,
    x1 = -1,
    y1 = -1;
  const inside = new Uint8Array(size * size);
  for (const part of parts) {
    for (let k = 0; k < inside.length; k++) {
      if (!part.data[k]) continue;
      inside[k] = 1;
      const x = k % size,
        y = (k - x) / size;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
    }
  }
  if (x1 < 0) return;
  x0 = Math.max(0, x0 - margin);
  y0 = Math.max(0, y0 - margin);
  x1 = Math.min(size - 1, x1 + margin);
  y1 = Math.min(size - 1, y1 + margin);
  const w = x1 - x0 + 1,
    h = y1 - y0 + 1;
  const dist = new Float32Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) dist[y * w + x] = inside[(y + y0) * size + x + x0] ? 0 : 1e9;
  const diagonal = Math.SQRT2;
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      let d = dist[i];
      if (x > 0) d = Math.min(d, dist[i - 1] + 1);
      if (y > 0) {
        d = Math.min(d, dist[i - w] + 1);
        if (x > 0) d = Math.min(d, dist[i - w - 1] + diagonal);
        if (x < w - 1) d = Math.min(d, dist[i - w + 1] + diagonal);
      }
      dist[i] = d;
    }
  for (let y = h - 1; y >= 0; y--)
    for (let x = w - 1; x >= 0; x--) {
      const i = y * w + x;
      let d = dist[i];
      if (x < w - 1) d = Math.min(d, dist[i + 1] + 1);
      if (y < h - 1) {
        d = Math.min(d, dist[i + w] + 1);
        if (x < w - 1) d = Math.min(d, dist[i + w + 1] + diagonal);
        if (x > 0) d = Math.min(d, dist[i + w - 1] + diagonal);
      }
      dist[i] = d;
    }
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const k = (y + y0) * size + x + x0;
      const d = dist[y * w + x];
      if (d === 0 || d > margin || !lungField.data[k]) continue;
      // Distance from the border itself, which lies half a pixel from the nearest mask pixel's centre.
      const across = (d - 0.5) / widthPx;
      density[k] += ptx.lineDensity * gain * Math.exp(-4 * (across - 0.5) * (across - 0.5));
    }
}

export function renderCase(options: SynthOptions, index: number): SynthCase {
  const { seed, size } = options;
  const root = Rng.derive(seed, index);
  // One child generator per concern, seeded in a fixed order, so a change in how much one of them
  // draws (e.g. per-pixel noise at another size) leaves the others unchanged.
  const metaRng = new Rng(root.nextUint32());
  const anatomyRng = new Rng(root.nextUint32());
  const ptxRng = new Rng(root.nextUint32());
  const textureRng = new Rng(root.nextUint32());
  const exposureRng = new Rng(root.nextUint32());
  const noiseRng = new Rng(root.nextUint32());
  const difficultyRng = new Rng(root.nextUint32());
  const confounderRng = new Rng(root.nextUint32());

  const positive = hasRole(seed, index, 'positive', options.positiveRate);
  const multiPart = positive && hasRole(seed, index, 'multiPart', options.multiPartRate);
  const implausibleAge = hasRole(seed, index, 'implausibleAge', options.implausibleAgeRate);
  const duplicateRow = hasRole(seed, index, 'duplicate', options.duplicateRate);

  const metadata = drawMetadata(metaRng, seed, index, size, {
    implausibleAge,
    male: hasRole(seed, index, 'male', MALE_RATE),
    posteroAnterior: hasRole(seed, index, 'posteroAnterior', PA_RATE),
  });
  const anatomy = drawAnatomy(anatomyRng, metadata.viewPosition, metadata.patientSex);
  const partCount = !multiPart
    ? 1
    : options.areaDistribution === 'siim'
      ? siimMultiRowCount(ptxRng.next())
      : 2 + ptxRng.int(2);
  const ptx = positive ? drawPneumothorax(ptxRng, anatomy, options, partCount) : null;
  const within = ([lo, hi]: readonly [number, number]) => (lo === hi ? lo : difficultyRng.uniform(lo, hi));
  const difficulty = ptx
    ? { lineContrast: within(options.lineContrast), textureLoss: within(options.textureLoss) }
    : null;
  if (ptx && difficulty) ptx.lineDensity *= difficulty.lineContrast;
  const confounders = drawConfounders(confounderRng, anatomy, options, index, ptx ? ptx.parts[0].lung : null);

  const density = new Float32Array(size * size);
  renderBody(anatomy, size, density);
  const texture = renderLungTexture(textureRng, anatomy, size);
  // Patchy aeration: lungs are not uniformly dark, and this patchiness is larger than a
  // pneumothorax's extra darkness, so brightness alone cannot find one.
  const aeration = new Float32Array(size * size).fill(1);
  const patchiness = exposureRng.uniform(0.25, 0.45);
  addSmoothNoise(exposureRng, 6, size, aeration, patchiness);
  const parts = ptx ? ptx.parts.map(() => emptyMask(size, size)) : [];
  const lungField = emptyMask(size, size);
  renderLungs(anatomy, texture, aeration, ptx, difficulty?.textureLoss ?? 1, size, density, parts, lungField);
  if (ptx) renderPleuralLine(ptx, parts, lungField, size, density);
  renderBones(anatomy, size, density);
  renderWires(anatomy, size, density);
  renderConfounders(confounders, size, density);

  // Exposure: window, gamma, heel effect, quantum noise.
  const ap = anatomy.view === 'AP';
  const lo = exposureRng.uniform(-0.06, 0.04);
  const hi = exposureRng.uniform(0.8, 0.98) + (ap ? 0.04 : 0);
  const gamma = exposureRng.uniform(0.8, 1.35);
  const heel = exposureRng.uniform(-0.04, 0.04);
  // Quantum noise per pixel as a 1024 px detector has it; coarser pixels bin several of those, which
  // averages the noise down in proportion to the pixel's width.
  const noiseStd = exposureRng.uniform(0.006, 0.016) * (ap ? 1.3 : 1) * (size / 1024);
  // The gamma curve through a table: Math.pow per pixel costs more than all the rest of this loop.
  const levels = 4096;
  const curve = new Float32Array(levels + 1);
  for (let i = 0; i <= levels; i++) curve[i] = Math.pow(i / levels, gamma);
  // Triangular noise (sum of two 16-bit uniforms): cheap, and looks like quantum mottle once
  // quantised. A local xorshift32 seeded from the case's noise stream: a method call per pixel on Rng
  // cost more than all the rest of this loop.
  const noiseScale = (2.45 * noiseStd) / 65536;
  let state = noiseRng.nextUint32() | 1;
  const pixels = new Uint8Array(size * size);
  const scale = 1 / (hi - lo);
  for (let py = 0; py < size; py++) {
    const tilt = heel * ((py + 0.5) / size - 0.5);
    for (let px = 0; px < size; px++) {
      const k = py * size + px;
      const v = (density[k] - lo) * scale + tilt;
      const level = v <= 0 ? 0 : v >= 1 ? levels : (v * levels + 0.5) | 0;
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      const noise = ((state & 0xffff) + ((state >>> 16) & 0xffff) - 65535) * noiseScale;
      const out = curve[level] + noise;
      pixels[k] = out <= 0 ? 0 : out >= 1 ? 255 : (out * 255 + 0.5) | 0;
    }
  }
  return {
    index,
    metadata,
    pixels,
    size,
    parts,
    lungField,
    side: ptx ? (ptx.parts[0].lung === 0 ? 'right' : 'left') : null,
    implausibleAge,
    duplicateRow,
    difficulty,
    confounders,
  };
}
