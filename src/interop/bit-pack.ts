// BINARY segmentation frames hold one bit per pixel, packed row-major with the first pixel in the
// least significant bit of the first byte (PS3.5 8.1.1, Bits Allocated 1); frames follow each other
// without padding, and the whole value is padded to an even length.

/** Packs 0/non-zero bytes into bits; the result has an even length. */
export function packBits(pixels: Uint8Array): Uint8Array {
  const bytes = Math.ceil(pixels.length / 8);
  const packed = new Uint8Array(bytes + (bytes % 2));
  for (let i = 0; i < pixels.length; i++) if (pixels[i] !== 0) packed[i >> 3] |= 1 << (i & 7);
  return packed;
}

/** The first `count` pixels of packed bits, starting at pixel `offset`, as 0/1 bytes. */
export function unpackBits(packed: Uint8Array, count: number, offset = 0): Uint8Array {
  if (Math.ceil((offset + count) / 8) > packed.length)
    throw new RangeError(`packed bits hold ${packed.length * 8} pixels, ${offset + count} needed`);
  const pixels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const bit = offset + i;
    pixels[i] = (packed[bit >> 3] >> (bit & 7)) & 1;
  }
  return pixels;
}
