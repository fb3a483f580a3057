// What every codec receives and returns.

/** The encoded bytes of one frame and the image attributes a codec needs to interpret them. */
export interface EncodedFrame {
  bytes: Uint8Array;
  rows: number;
  columns: number;
  bitsAllocated: number;
  bitsStored: number;
  /** 0 unsigned, 1 two's complement. */
  pixelRepresentation: number;
  bigEndian: boolean;
}

/** Decoded samples, one per pixel, row-major; the pixel pipeline masks them to Bits Stored and sign-extends. */
export type DecodedSamples = Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array;

/** Raised by a codec for input it cannot decode; the reader turns it into a DicomError naming the file. */
export class CodecError extends Error {
  override name = 'CodecError';
  constructor(
    message: string,
    readonly truncated = false,
  ) {
    super(message);
  }
}

export function checkDecodedSize(
  what: string,
  frame: EncodedFrame,
  width: number,
  height: number,
  components = 1,
): void {
  if (components !== 1) throw new CodecError(`${what} stream has ${components} components, expected 1 (grayscale)`);
  if (width !== frame.columns || height !== frame.rows) {
    throw new CodecError(`${what} stream is ${width}x${height} but the header says ${frame.columns}x${frame.rows}`);
  }
}
