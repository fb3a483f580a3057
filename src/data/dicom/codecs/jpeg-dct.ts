// Sequential DCT JPEG with Huffman coding (ITU T.81 processes 1, 2 and 4), one component, 8 or 12
// bits per sample. sharp (libjpeg-turbo) decodes 8-bit baseline faster and is used for it; this
// decoder exists for the 12-bit "JPEG Extended" transfer syntax, which no maintained package decodes
// in Node, and as the fallback for 8-bit streams that libjpeg-turbo rejects. It is lenient where
// DICOM writers are known to be sloppy (wrong Ss/Se in the SOS of a sequential scan) and strict
// where input is broken: every loop is bounded by the block count, and running past the end of the
// data is an error, so corrupt input throws instead of hanging.
import { CodecError } from './frame.js';

const ZIGZAG = new Uint8Array([
  0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
  35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47,
  55, 62, 63,
]);

/** IDCT basis: BASIS[u * 8 + x] = C(u)/2 * cos((2x + 1) u pi / 16). */
const BASIS = new Float64Array(64);
for (let u = 0; u < 8; u++) {
  for (let x = 0; x < 8; x++)
    BASIS[u * 8 + x] = ((u === 0 ? Math.SQRT1_2 : 1) / 2) * Math.cos(((2 * x + 1) * u * Math.PI) / 16);
}

/** 16-bit look-ahead table: entry = (code length << 8) | symbol, 0 for no code. */
type HuffmanTable = Uint32Array;

function buildHuffman(counts: Uint8Array, symbols: Uint8Array): HuffmanTable {
  const table = new Uint32Array(1 << 16);
  let code = 0;
  let k = 0;
  for (let length = 1; length <= 16; length++) {
    for (let i = 0; i < counts[length - 1]; i++) {
      if (code >= 1 << length) throw new CodecError('JPEG Huffman table is over-subscribed');
      const first = code << (16 - length);
      table.fill((length << 8) | symbols[k++], first, first + (1 << (16 - length)));
      code++;
    }
    code <<= 1;
  }
  return table;
}

class BitReader {
  private bits = 0;
  private count = 0;
  private zeroFill = 0;
  constructor(
    private readonly data: Uint8Array,
    public pos: number,
  ) {}

  private fill(): void {
    while (this.count <= 24) {
      let byte = 0;
      const { data } = this;
      if (this.pos < data.length && !(data[this.pos] === 0xff && data[this.pos + 1] !== 0x00)) {
        byte = data[this.pos];
        this.pos += byte === 0xff ? 2 : 1;
      } else if (++this.zeroFill > 64) {
        // A marker or the end of the data came before the scan was complete.
        throw new CodecError('JPEG entropy-coded data ends before the last block', true);
      }
      this.bits = ((this.bits << 8) | byte) >>> 0;
      this.count += 8;
    }
  }

  peek16(): number {
    this.fill();
    return (this.bits >>> (this.count - 16)) & 0xffff;
  }

  skip(n: number): void {
    this.count -= n;
  }

  read(n: number): number {
    if (n === 0) return 0;
    this.fill();
    this.count -= n;
    return (this.bits >>> this.count) & ((1 << n) - 1);
  }

  decode(table: HuffmanTable): number {
    const entry = table[this.peek16()];
    if (entry === 0) throw new CodecError('JPEG data holds a Huffman code that is not in the table');
    this.count -= entry >>> 8;
    return entry & 0xff;
  }

  /** Drops buffered bits and steps over the RSTn marker that must follow (searching ahead if the stream is sloppy). */
  restart(): void {
    this.bits = 0;
    this.count = 0;
    this.zeroFill = 0;
    const { data } = this;
    while (
      this.pos + 1 < data.length &&
      !(data[this.pos] === 0xff && data[this.pos + 1] >= 0xd0 && data[this.pos + 1] <= 0xd7)
    ) {
      this.pos++;
    }
    this.pos += 2;
  }
}

function extend(value: number, size: number): number {
  return value < 1 << (size - 1) ? value - (1 << size) + 1 : value;
}

export interface DctImage {
  width: number;
  height: number;
  precision: number;
  samples: Uint16Array;
}

export function decodeJpegDct(data: Uint8Array): DctImage {
  if (data.length < 4 || data[0] !== 0xff || data[1] !== 0xd8)
    throw new CodecError('not a JPEG stream (no SOI marker)');
  const quant: (Uint16Array | undefined)[] = [];
  const dcTables: (HuffmanTable | undefined)[] = [];
  const acTables: (HuffmanTable | undefined)[] = [];
  let frame: { width: number; height: number; precision: number; quantIndex: number; componentId: number } | null =
    null;
  let restartInterval = 0;
  let pos = 2;
  const u16 = (at: number) => (data[at] << 8) | data[at + 1];

  while (pos + 4 <= data.length) {
    if (data[pos] !== 0xff) throw new CodecError(`JPEG marker expected at byte ${pos}`);
    const marker = data[pos + 1];
    if (marker === 0xff) {
      pos++; // fill byte
      continue;
    }
    if (marker === 0xd9) break;
    const length = u16(pos + 2);
    const start = pos + 4;
    const end = pos + 2 + length;
    if (length < 2 || end > data.length)
      throw new CodecError(`JPEG segment 0xFF${marker.toString(16)} runs past the end`, true);
    if (marker === 0xdb) {
      for (let p = start; p < end;) {
        const wide = data[p] >> 4;
        const id = data[p] & 15;
        p++;
        const table = new Uint16Array(64);
        for (let k = 0; k < 64; k++, p += wide ? 2 : 1) table[k] = wide ? u16(p) : data[p];
        if (p > end) throw new CodecError('JPEG quantisation table overruns its segment');
        quant[id] = table;
      }
    } else if (marker === 0xc4) {
      for (let p = start; p < end;) {
        const tableClass = data[p] >> 4;
        const id = data[p] & 15;
        const counts = data.subarray(p + 1, p + 17);
        const total = counts.reduce((a, b) => a + b, 0);
        const symbols = data.subarray(p + 17, p + 17 + total);
        if (p + 17 + total > end) throw new CodecError('JPEG Huffman table overruns its segment');
        (tableClass === 0 ? dcTables : acTables)[id] = buildHuffman(counts, symbols);
        p += 17 + total;
      }
    } else if (marker === 0xc0 || marker === 0xc1) {
      const components = data[start + 5];
      if (components !== 1) throw new CodecError(`JPEG frame has ${components} components, expected 1 (grayscale)`);
      frame = {
        precision: data[start],
        height: u16(start + 1),
        width: u16(start + 3),
        componentId: data[start + 6],
        quantIndex: data[start + 8],
      };
      if (frame.precision !== 8 && frame.precision !== 12)
        throw new CodecError(`JPEG precision ${frame.precision} is not 8 or 12`);
      if (frame.width === 0 || frame.height === 0)
        throw new CodecError('JPEG frame with zero size (DNL) is not supported');
    } else if (marker >= 0xc2 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      throw new CodecError(
        `JPEG process SOF${marker - 0xc0} (progressive, lossless or arithmetic) is not a sequential DCT stream`,
      );
    } else if (marker === 0xdd) {
      restartInterval = u16(start);
    } else if (marker === 0xda) {
      if (!frame) throw new CodecError('JPEG scan before the frame header');
      const selector = data[start + 2];
      const dc = dcTables[selector >> 4];
      const ac = acTables[selector & 15];
      const q = quant[frame.quantIndex];
      if (!dc || !ac || !q) throw new CodecError('JPEG scan refers to a missing Huffman or quantisation table');
      return decodeScan(data, end, frame, dc, ac, q, restartInterval);
    }
    pos = end;
  }
  throw new CodecError('JPEG stream has no scan', true);
}

function decodeScan(
  data: Uint8Array,
  scanStart: number,
  frame: { width: number; height: number; precision: number },
  dc: HuffmanTable,
  ac: HuffmanTable,
  q: Uint16Array,
  restartInterval: number,
): DctImage {
  const { width, height, precision } = frame;
  const blocksWide = Math.ceil(width / 8);
  const blocksHigh = Math.ceil(height / 8);
  const samples = new Uint16Array(width * height);
  const reader = new BitReader(data, scanStart);
  const coef = new Float64Array(64);
  const tmp = new Float64Array(64);
  const shift = 1 << (precision - 1);
  const max = (1 << precision) - 1;
  let predictor = 0;
  const total = blocksWide * blocksHigh;
  for (let block = 0; block < total; block++) {
    if (restartInterval > 0 && block > 0 && block % restartInterval === 0) {
      reader.restart();
      predictor = 0;
    }
    coef.fill(0);
    const t = reader.decode(dc);
    if (t > 16) throw new CodecError('JPEG DC difference category out of range');
    predictor += t === 0 ? 0 : extend(reader.read(t), t);
    coef[0] = predictor * q[0];
    for (let k = 1; k < 64;) {
      const rs = reader.decode(ac);
      const r = rs >> 4;
      const s = rs & 15;
      if (s === 0) {
        if (r !== 15) break;
        k += 16;
        continue;
      }
      k += r;
      if (k > 63) throw new CodecError('JPEG AC coefficients run past the end of a block');
      coef[ZIGZAG[k]] = extend(reader.read(s), s) * q[k];
      k++;
    }
    // Separable inverse DCT: rows (over u), then columns (over v).
    for (let y = 0; y < 8; y++) {
      for (let x = 0; x < 8; x++) {
        let sum = 0;
        for (let u = 0; u < 8; u++) sum += BASIS[u * 8 + x] * coef[y * 8 + u];
        tmp[y * 8 + x] = sum;
      }
    }
    const bx = (block % blocksWide) * 8;
    const by = Math.floor(block / blocksWide) * 8;
    for (let y = 0; y < 8 && by + y < height; y++) {
      const row = (by + y) * width;
      for (let x = 0; x < 8 && bx + x < width; x++) {
        let sum = 0;
        for (let v = 0; v < 8; v++) sum += BASIS[v * 8 + y] * tmp[v * 8 + x];
        const value = Math.round(sum) + shift;
        samples[row + bx + x] = value < 0 ? 0 : value > max ? max : value;
      }
    }
  }
  return { width, height, precision, samples };
}
