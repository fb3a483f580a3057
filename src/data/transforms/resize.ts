// Resizing to the training size. Images: area averaging for downscaling (every source pixel counts,
// no aliasing: OpenCV's INTER_AREA) or bilinear with half-pixel centres (OpenCV INTER_LINEAR, PyTorch
// align_corners=False). Masks: nearest, so that they stay 0/1. Both are separable: the weights of one
// axis are computed once per (source size, target size) and the image is filtered row-wise, then
// column-wise, so a pixel costs the taps of one axis at a time rather than of a 2-D window.
import type { GrayImage, Mask } from '../image.js';
import type { Sample } from './sample.js';
import { TransformError } from './sample.js';

export type ResizeMethod = 'area' | 'bilinear';

/** Sparse weights of one axis: output j reads `index[offsets[j] .. offsets[j+1])` with `weight`. */
interface AxisWeights {
  offsets: Int32Array;
  index: Int32Array;
  weight: Float32Array;
}

const weightCache = new Map<string, AxisWeights>();

function areaWeights(inSize: number, outSize: number): AxisWeights {
  const scale = inSize / outSize;
  const offsets = new Int32Array(outSize + 1);
  const index: number[] = [];
  const weight: number[] = [];
  for (let j = 0; j < outSize; j++) {
    const start = j * scale;
    const end = (j + 1) * scale;
    for (let i = Math.floor(start); i < Math.min(inSize, Math.ceil(end)); i++) {
      const overlap = Math.min(i + 1, end) - Math.max(i, start);
      if (overlap > 1e-9) {
        index.push(i);
        weight.push(overlap / scale);
      }
    }
    offsets[j + 1] = index.length;
  }
  return { offsets, index: Int32Array.from(index), weight: Float32Array.from(weight) };
}

function bilinearWeights(inSize: number, outSize: number): AxisWeights {
  const scale = inSize / outSize;
  const offsets = new Int32Array(outSize + 1);
  const index = new Int32Array(outSize * 2);
  const weight = new Float32Array(outSize * 2);
  for (let j = 0; j < outSize; j++) {
    const s = Math.max(0, (j + 0.5) * scale - 0.5);
    let i0 = Math.floor(s);
    let f = s - i0;
    if (i0 >= inSize - 1) {
      i0 = inSize - 1;
      f = 0;
    }
    index[2 * j] = i0;
    index[2 * j + 1] = Math.min(i0 + 1, inSize - 1);
    weight[2 * j] = 1 - f;
    weight[2 * j + 1] = f;
    offsets[j + 1] = 2 * (j + 1);
  }
  return { offsets, index, weight };
}

function axisWeights(inSize: number, outSize: number, method: ResizeMethod): AxisWeights {
  // Area averaging only means something when shrinking; enlarging falls back to bilinear, as OpenCV does.
  const kind = method === 'area' && outSize < inSize ? 'area' : 'bilinear';
  const key = `${kind}:${inSize}:${outSize}`;
  let w = weightCache.get(key);
  if (!w) {
    w = kind === 'area' ? areaWeights(inSize, outSize) : bilinearWeights(inSize, outSize);
    if (weightCache.size > 64) weightCache.clear();
    weightCache.set(key, w);
  }
  return w;
}

function checkSize(what: string, width: number, height: number): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new TransformError(`Expected positive integer ${what} size but received ${width}x${height}`);
  }
}

/** Resizes a row-major float plane; `out` may be given to avoid an allocation. */
export function resizePlane(
  src: Float32Array,
  width: number,
  height: number,
  outWidth: number,
  outHeight: number,
  method: ResizeMethod = 'area',
  out: Float32Array = new Float32Array(outWidth * outHeight),
): Float32Array {
  checkSize('source', width, height);
  checkSize('target', outWidth, outHeight);
  if (src.length !== width * height)
    throw new TransformError(`plane holds ${src.length} pixels, expected ${width}x${height}`);
  if (width === outWidth && height === outHeight) {
    out.set(src);
    return out;
  }
  if (method === 'area' && width % outWidth === 0 && height % outHeight === 0) {
    return boxShrink(src, width, height, width / outWidth, height / outHeight, out);
  }
  const wx = axisWeights(width, outWidth, method);
  const wy = axisWeights(height, outHeight, method);
  // Row pass: height x outWidth.
  const rows = new Float32Array(height * outWidth);
  for (let y = 0; y < height; y++) {
    const srcRow = y * width;
    const dstRow = y * outWidth;
    for (let x = 0; x < outWidth; x++) {
      let acc = 0;
      for (let t = wx.offsets[x]; t < wx.offsets[x + 1]; t++) acc += wx.weight[t] * src[srcRow + wx.index[t]];
      rows[dstRow + x] = acc;
    }
  }
  // Column pass, accumulated a whole row at a time so that memory is read in order.
  for (let y = 0; y < outHeight; y++) {
    const dstRow = y * outWidth;
    out.fill(0, dstRow, dstRow + outWidth);
    for (let t = wy.offsets[y]; t < wy.offsets[y + 1]; t++) {
      const w = wy.weight[t];
      const srcRow = wy.index[t] * outWidth;
      for (let x = 0; x < outWidth; x++) out[dstRow + x] += w * rows[srcRow + x];
    }
  }
  return out;
}

/** Area resize by whole factors (1024 -> 256, 512): the mean of each block, without the weight tables. */
function boxShrink(
  src: Float32Array,
  width: number,
  height: number,
  fx: number,
  fy: number,
  out: Float32Array,
): Float32Array {
  const outWidth = width / fx;
  const outHeight = height / fy;
  if (fx === 2 && fy === 2) return halve(src, width, outWidth, outHeight, out);
  const scale = 1 / (fx * fy);
  const row = new Float32Array(outWidth);
  for (let y = 0; y < outHeight; y++) {
    row.fill(0);
    for (let dy = 0; dy < fy; dy++) {
      let i = (y * fy + dy) * width;
      for (let x = 0; x < outWidth; x++) {
        let acc = 0;
        for (let dx = 0; dx < fx; dx++) acc += src[i++];
        row[x] += acc;
      }
    }
    const o = y * outWidth;
    for (let x = 0; x < outWidth; x++) out[o + x] = row[x] * scale;
  }
  return out;
}

/** The 2x2 case (1024 -> 512, a common input size): one pass over two source rows, no row accumulator. */
function halve(src: Float32Array, width: number, outWidth: number, outHeight: number, out: Float32Array): Float32Array {
  for (let y = 0; y < outHeight; y++) {
    let top = 2 * y * width;
    let bottom = top + width;
    let o = y * outWidth;
    for (let x = 0; x < outWidth; x++, top += 2, bottom += 2)
      out[o++] = (src[top] + src[top + 1] + src[bottom] + src[bottom + 1]) * 0.25;
  }
  return out;
}

export function resizeImage(image: GrayImage, width: number, height: number, method: ResizeMethod = 'area'): GrayImage {
  return { width, height, pixels: resizePlane(image.pixels, image.width, image.height, width, height, method) };
}

/** Nearest-neighbour resize of a mask: output pixel centre (x + 0.5) maps to source floor((x + 0.5) * scale). */
export function resizeMask(mask: Mask, width: number, height: number): Mask {
  checkSize('source', mask.width, mask.height);
  checkSize('target', width, height);
  const data = new Uint8Array(width * height);
  const sx = mask.width / width;
  const sy = mask.height / height;
  const columns = new Int32Array(width);
  for (let x = 0; x < width; x++) columns[x] = Math.min(mask.width - 1, Math.floor((x + 0.5) * sx));
  for (let y = 0; y < height; y++) {
    const srcRow = Math.min(mask.height - 1, Math.floor((y + 0.5) * sy)) * mask.width;
    const dstRow = y * width;
    for (let x = 0; x < width; x++) data[dstRow + x] = mask.data[srcRow + columns[x]];
  }
  return { width, height, data };
}

export function resizeSample(sample: Sample, width: number, height: number, method: ResizeMethod = 'area'): Sample {
  return {
    image: resizeImage(sample.image, width, height, method),
    mask: sample.mask ? resizeMask(sample.mask, width, height) : null,
  };
}
