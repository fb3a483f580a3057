// TensorBoard event files written by hand: what `tensorboard --logdir RUN/tb` reads, without
// TensorFlow. A file is a sequence of TFRecords (u64 length, masked CRC-32C of the length, the bytes,
// masked CRC-32C of the bytes), each holding one serialized `Event` protobuf:
//   Event   { double wall_time = 1; int64 step = 2; string file_version = 3; Summary summary = 5; }
//   Summary { repeated Value value = 1; }   Value { string tag = 1; float simple_value = 2; }
// The first event carries file_version "brain.Event:2". Scalars only, which is all training logs need.
import { closeSync, fsyncSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { maskedCrc32c } from './crc32c.js';

/** Protobuf wire encoding of the few field kinds an Event needs. */
class ProtoWriter {
  private readonly parts: Uint8Array[] = [];

  private varint(value: bigint): void {
    const bytes: number[] = [];
    let v = BigInt.asUintN(64, value);
    do {
      let byte = Number(v & 0x7fn);
      v >>= 7n;
      if (v !== 0n) byte |= 0x80;
      bytes.push(byte);
    } while (v !== 0n);
    this.parts.push(Uint8Array.from(bytes));
  }

  private tag(field: number, wireType: number): void {
    this.varint(BigInt((field << 3) | wireType));
  }

  // A fixed-width little-endian field: wire type 1 for 64 bits, 5 for 32.
  private fixed(field: number, wireType: 1 | 5, bytes: number, write: (view: DataView) => void): this {
    this.tag(field, wireType);
    const b = new Uint8Array(bytes);
    write(new DataView(b.buffer));
    this.parts.push(b);
    return this;
  }

  double(field: number, value: number): this {
    return this.fixed(field, 1, 8, (view) => view.setFloat64(0, value, true));
  }

  float(field: number, value: number): this {
    return this.fixed(field, 5, 4, (view) => view.setFloat32(0, value, true));
  }

  int64(field: number, value: number): this {
    this.tag(field, 0);
    this.varint(BigInt(Math.trunc(value)));
    return this;
  }

  bytes(field: number, value: Uint8Array | string): this {
    const b = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
    this.tag(field, 2);
    this.varint(BigInt(b.length));
    this.parts.push(b);
    return this;
  }

  finish(): Uint8Array {
    return Buffer.concat(this.parts);
  }
}

/** One TFRecord around `data`. */
export function tfRecord(data: Uint8Array): Uint8Array {
  const header = new Uint8Array(12);
  const view = new DataView(header.buffer);
  view.setBigUint64(0, BigInt(data.length), true);
  view.setUint32(8, maskedCrc32c(header.subarray(0, 8)), true);
  const footer = new Uint8Array(4);
  new DataView(footer.buffer).setUint32(0, maskedCrc32c(data), true);
  return Buffer.concat([header, data, footer]);
}

export function fileVersionEvent(wallTime: number): Uint8Array {
  return new ProtoWriter().double(1, wallTime).int64(2, 0).bytes(3, 'brain.Event:2').finish();
}

export function scalarEvent(tag: string, value: number, step: number, wallTime: number): Uint8Array {
  const summaryValue = new ProtoWriter().bytes(1, tag).float(2, value).finish();
  const summary = new ProtoWriter().bytes(1, summaryValue).finish();
  return new ProtoWriter().double(1, wallTime).int64(2, step).bytes(5, summary).finish();
}

/**
 * Appends scalar events to a new `events.out.tfevents.<seconds>.<host>` file in `folder`. Each call
 * writes whole records and flushes them, so that a killed run leaves a readable file.
 */
export class TensorBoardWriter {
  readonly file: string;
  private fd: number | null;

  constructor(folder: string, now: () => number = () => Date.now() / 1000) {
    this.now = now;
    mkdirSync(folder, { recursive: true });
    const wall = now();
    // A second writer started in the same second (a resumed run) must not overwrite the first file.
    this.file = path.join(folder, `events.out.tfevents.${Math.floor(wall)}.${hostname()}.${process.pid}`);
    this.fd = openSync(this.file, 'a');
    this.write(fileVersionEvent(wall));
  }

  private readonly now: () => number;

  private write(event: Uint8Array): void {
    if (this.fd === null) throw new Error(`TensorBoard writer for ${this.file} is closed`);
    writeSync(this.fd, tfRecord(event));
  }

  scalar(tag: string, value: number, step: number): void {
    if (!Number.isFinite(value)) return; // TensorBoard plots nothing sensible for NaN; the CSV keeps it.
    this.write(scalarEvent(tag, value, step, this.now()));
  }

  /** Several scalars of one step, e.g. every metric of an epoch. */
  scalars(values: Record<string, number | null>, step: number): void {
    for (const [tag, v] of Object.entries(values)) if (v !== null) this.scalar(tag, v, step);
  }

  flush(): void {
    if (this.fd !== null) fsyncSync(this.fd);
  }

  close(): void {
    if (this.fd === null) return;
    fsyncSync(this.fd);
    closeSync(this.fd);
    this.fd = null;
  }
}
