// The picture a person looks at: the X-ray at full resolution with the predicted mask in translucent
// colour and its outline drawn solid, under a title band that states the decision, the probability,
// the model and that it is not for diagnostic use. The band is added above the film, never drawn on
// it: the top of a chest film holds the apices, where a pneumothorax most often shows. Composed with
// sharp from a raw RGBA buffer and an SVG text layer (DejaVu Sans, which fonts-dejavu-core installs,
// so text renders the same everywhere).
import type { GrayImage, Mask } from '../data/image.js';

export const TITLE_POSITIVE = 'THIS IMAGE CONTAINS PNEUMOTHORAX';
export const TITLE_NEGATIVE = 'THIS IMAGE DOES NOT CONTAIN PNEUMOTHORAX';
export const TITLE_NOT_ASSESSED = 'NOT ASSESSED: OUTSIDE WHAT THE MODEL WAS MADE FOR';

export type Rgb = readonly [number, number, number];

export interface MaskLayer {
  mask: Mask;
  color: Rgb;
  /** Opacity of the fill, 0..1; the outline is drawn opaque. */
  opacity?: number;
}

const FILL_OPACITY = 0.35;
export const PREDICTION_COLOR: Rgb = [255, 64, 64];
export const TRUTH_COLOR: Rgb = [64, 200, 255];

/** True for mask pixels with a pixel outside the mask (or the image edge) within `radius` along a row or column. */
function isOutline(mask: Mask, x: number, y: number, radius: number): boolean {
  const { width, height, data } = mask;
  for (let d = 1; d <= radius; d++) {
    if (x - d < 0 || data[y * width + x - d] === 0) return true;
    if (x + d >= width || data[y * width + x + d] === 0) return true;
    if (y - d < 0 || data[(y - d) * width + x] === 0) return true;
    if (y + d >= height || data[(y + d) * width + x] === 0) return true;
  }
  return false;
}

/** RGBA bytes of the image with each mask layer blended in and outlined (later layers on top). */
export function composeRgba(image: GrayImage, layers: readonly MaskLayer[]): Buffer {
  const { width, height, pixels } = image;
  const rgba = Buffer.alloc(width * height * 4);
  for (let i = 0; i < pixels.length; i++) {
    const v = pixels[i] <= 0 ? 0 : pixels[i] >= 1 ? 255 : Math.round(pixels[i] * 255);
    rgba[4 * i] = v;
    rgba[4 * i + 1] = v;
    rgba[4 * i + 2] = v;
    rgba[4 * i + 3] = 255;
  }
  const radius = Math.max(1, Math.round(Math.max(width, height) / 512));
  for (const { mask, color, opacity = FILL_OPACITY } of layers) {
    if (mask.width !== width || mask.height !== height)
      throw new Error(`overlay: mask ${mask.width}x${mask.height} does not match image ${width}x${height}`);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const i = y * width + x;
        if (mask.data[i] === 0) continue;
        const alpha = isOutline(mask, x, y, radius) ? 1 : opacity;
        for (let c = 0; c < 3; c++) rgba[4 * i + c] = Math.round(rgba[4 * i + c] * (1 - alpha) + color[c] * alpha);
      }
    }
  }
  return rgba;
}

function escapeXml(text: string): string {
  return text.replace(
    /[<>&"']/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!,
  );
}

export interface Banner {
  title: string;
  lines: readonly string[];
  /** Colour of the title text. */
  accent: string;
}

/** Said on every titled picture: the model's output is not a diagnosis. */
export const NOT_FOR_DIAGNOSTIC_USE = 'NOT FOR DIAGNOSTIC USE';

interface BandLayout {
  titleSize: number;
  lineSize: number;
  margin: number;
  height: number;
}

function bandLayout(width: number, banner: Banner): BandLayout {
  const titleSize = Math.max(9, Math.round(width / 34));
  const lineSize = Math.max(8, Math.round(titleSize * 0.7));
  const margin = Math.round(titleSize * 0.5);
  return {
    titleSize,
    lineSize,
    margin,
    height: margin * 2 + titleSize + banner.lines.length * Math.round(lineSize * 1.35),
  };
}

/** Rows the title band adds above an image `width` pixels wide. */
export function bandHeight(width: number, banner: Banner): number {
  return bandLayout(width, banner).height;
}

// DejaVu Sans glyphs average a little under these widths (em) in capitals and lower case; a text is
// set smaller until its estimated width fits the band, since the SVG renderer here ignores textLength
// and a longer text is cut off at the picture's edge.
const EM_BOLD = 0.72;
const EM_REGULAR = 0.62;

function fittedSize(text: string, size: number, em: number, available: number): number {
  return Math.max(1, Math.min(size, Math.floor(available / Math.max(1, text.length * em))));
}

/** An SVG of the title band: `width` by bandHeight(), black, holding the title and its lines. */
export function bannerSvg(width: number, banner: Banner): string {
  const { titleSize, lineSize, margin, height } = bandLayout(width, banner);
  const available = width - 2 * margin;
  let y = margin + titleSize;
  const texts = [
    `<text x="${margin}" y="${y}" font-family="DejaVu Sans" font-weight="bold" font-size="${fittedSize(banner.title, titleSize, EM_BOLD, available)}" fill="${banner.accent}">${escapeXml(banner.title)}</text>`,
  ];
  for (const line of banner.lines) {
    y += Math.round(lineSize * 1.35);
    texts.push(
      `<text x="${margin}" y="${y}" font-family="DejaVu Sans" font-size="${fittedSize(line, lineSize, EM_REGULAR, available)}" fill="#f2f2f2">${escapeXml(line)}</text>`,
    );
  }
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">` +
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#000"/>${texts.join('')}</svg>`
  );
}

async function overlayPicture(image: GrayImage, layers: readonly MaskLayer[], banner: Banner | null) {
  const { default: sharp } = await import('sharp');
  const { width, height } = image;
  const rgba = composeRgba(image, layers);
  if (!banner) return { picture: sharp(rgba, { raw: { width, height, channels: 4 } }).removeAlpha(), height };
  const band = bandHeight(width, banner);
  // Two inputs stacked: the band's SVG on a black canvas, the film below it untouched.
  const picture = sharp({
    create: { width, height: band + height, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 1 } },
  })
    .composite([
      { input: Buffer.from(bannerSvg(width, banner)), top: 0, left: 0 },
      { input: rgba, raw: { width, height, channels: 4 }, top: band, left: 0 },
    ])
    .removeAlpha();
  return { picture, height: band + height };
}

/** PNG bytes of the image with its mask layers and an optional title band above it. */
export async function renderOverlayPng(
  image: GrayImage,
  layers: readonly MaskLayer[],
  banner: Banner | null,
): Promise<Buffer> {
  const { picture } = await overlayPicture(image, layers, banner);
  return picture.png({ compressionLevel: 6 }).toBuffer();
}

export interface RgbPicture {
  /** Interleaved RGB, width x height x 3. */
  rgb: Buffer;
  width: number;
  /** The image's height plus the title band's. */
  height: number;
}

/** The same picture as renderOverlayPng, as raw interleaved RGB bytes (what a DICOM Secondary Capture holds). */
export async function renderOverlayRgb(
  image: GrayImage,
  layers: readonly MaskLayer[],
  banner: Banner | null,
): Promise<RgbPicture> {
  const { picture, height } = await overlayPicture(image, layers, banner);
  const { data, info } = await picture.raw().toBuffer({ resolveWithObject: true });
  if (info.channels !== 3 || data.length !== image.width * height * 3)
    throw new Error(`overlay: expected ${image.width}x${height} RGB, got ${info.channels} channels`);
  return { rgb: data, width: image.width, height };
}

/** An 8-bit PNG of a mask: 255 inside, 0 outside. */
export async function renderMaskPng(mask: Mask): Promise<Buffer> {
  const { default: sharp } = await import('sharp');
  const bytes = Buffer.alloc(mask.data.length);
  for (let i = 0; i < bytes.length; i++) bytes[i] = mask.data[i] ? 255 : 0;
  return sharp(bytes, { raw: { width: mask.width, height: mask.height, channels: 1 } })
    .toColourspace('b-w')
    .png()
    .toBuffer();
}
