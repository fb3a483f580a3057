// Uncompressed pixel data: 8, 16 or 32 bits per sample, little or big endian.
import { CodecError, type DecodedSamples, type EncodedFrame } from './frame.js';

export function decodeNative(frame: EncodedFrame): DecodedSamples {
  const { bytes, rows, columns, bitsAllocated, pixelRepresentation, bigEndian } = frame;
  const count = rows * columns;
  const bytesPerSample = bitsAllocated / 8;
  if (![1, 2, 4].includes(bytesPerSample)) throw new CodecError(`Bits Allocated ${bitsAllocated} is not supported`);
  const needed = count * bytesPerSample;
  if (bytes.length < needed) {
    throw new CodecError(
      `pixel data holds ${bytes.length} bytes, ${needed} needed for ${columns}x${rows}x${bitsAllocated} bits`,
      true,
    );
  }
  const signed = pixelRepresentation === 1;
  // A copy into fresh storage is aligned whatever the offset of the element in the file (and is not
  // a view into a Buffer's shared pool, which Buffer#slice would be).
  const aligned = new Uint8Array(bytes.subarray(0, needed));
  if (bytesPerSample === 1) return signed ? new Int8Array(aligned.buffer) : aligned;
  if (bigEndian) {
    const view = new DataView(aligned.buffer);
    for (let i = 0; i < needed; i += bytesPerSample) {
      if (bytesPerSample === 2) view.setUint16(i, view.getUint16(i, false), true);
      else view.setUint32(i, view.getUint32(i, false), true);
    }
  }
  if (bytesPerSample === 2) return signed ? new Int16Array(aligned.buffer) : new Uint16Array(aligned.buffer);
  return signed ? new Int32Array(aligned.buffer) : new Uint32Array(aligned.buffer);
}
