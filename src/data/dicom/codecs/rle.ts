// DICOM RLE Lossless (PS3.5 Annex G): a 64-byte header of segment offsets, then one PackBits
// segment per byte plane, most significant plane first. Written here because it is 40 lines and
// every package for it drags in a viewer.
import { CodecError, type DecodedSamples, type EncodedFrame } from './frame.js';

function unpackSegment(src: Uint8Array, start: number, end: number, out: Uint8Array): void {
  let i = start;
  let o = 0;
  while (o < out.length && i < end) {
    const n = (src[i++] << 24) >> 24;
    if (n >= 0) {
      const len = n + 1;
      if (i + len > end || o + len > out.length) throw new CodecError('RLE literal run overruns its segment');
      out.set(src.subarray(i, i + len), o);
      i += len;
      o += len;
    } else if (n !== -128) {
      const len = 1 - n;
      if (i >= end || o + len > out.length) throw new CodecError('RLE replicate run overruns its segment');
      out.fill(src[i++], o, o + len);
      o += len;
    }
  }
  if (o < out.length) throw new CodecError(`RLE segment decodes to ${o} bytes, ${out.length} expected`, true);
}

export function decodeRle(frame: EncodedFrame): DecodedSamples {
  const { bytes, rows, columns, bitsAllocated, pixelRepresentation } = frame;
  if (bytes.length < 64) throw new CodecError('RLE header is shorter than 64 bytes', true);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const segments = view.getUint32(0, true);
  const bytesPerSample = bitsAllocated / 8;
  if (![1, 2, 4].includes(bytesPerSample) || segments !== bytesPerSample) {
    throw new CodecError(`RLE has ${segments} segments, expected ${bytesPerSample} for ${bitsAllocated}-bit grayscale`);
  }
  const count = rows * columns;
  const planes: Uint8Array[] = [];
  for (let s = 0; s < segments; s++) {
    const start = view.getUint32(4 + 4 * s, true);
    const end = s + 1 < segments ? view.getUint32(8 + 4 * s, true) : bytes.length;
    if (start < 64 || start > end || end > bytes.length)
      throw new CodecError(`RLE segment ${s + 1} offsets are out of range`);
    const plane = new Uint8Array(count);
    unpackSegment(bytes, start, end, plane);
    planes.push(plane);
  }
  if (bytesPerSample === 1) return pixelRepresentation === 1 ? new Int8Array(planes[0].buffer) : planes[0];
  const out = new Uint32Array(count);
  for (let s = 0; s < segments; s++) {
    const shift = 8 * (segments - 1 - s);
    const plane = planes[s];
    for (let i = 0; i < count; i++) out[i] |= plane[i] << shift;
  }
  if (bytesPerSample === 2) return pixelRepresentation === 1 ? new Int16Array(out) : new Uint16Array(out);
  return pixelRepresentation === 1 ? new Int32Array(out.buffer) : out;
}
