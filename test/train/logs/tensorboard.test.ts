// Event files parsed back by an independent reader written here: TFRecord framing with the CRCs
// recomputed bit by bit (not with the writer's table), then the Event/Summary protobuf fields.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { crc32c, maskedCrc32c } from '../../../src/train/logs/crc32c.js';
import { TensorBoardWriter } from '../../../src/train/logs/tensorboard.js';

function bitwiseCrc32c(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}
const mask = (crc: number) => ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0;

test('CRC-32C check values (RFC 3720) and the masked form', () => {
  assert.equal(crc32c(Buffer.from('123456789')), 0xe3069283);
  assert.equal(crc32c(new Uint8Array(32)), 0x8a9136aa);
  assert.equal(crc32c(new Uint8Array(32).fill(0xff)), 0x62a8ab43);
  const data = Buffer.from('pneumothorax');
  assert.equal(maskedCrc32c(data), mask(bitwiseCrc32c(data)));
});

interface Field {
  field: number;
  wire: number;
  value: bigint | Uint8Array | number;
}

function parseProto(b: Uint8Array): Field[] {
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const out: Field[] = [];
  let i = 0;
  const varint = () => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const byte = b[i++];
      result |= BigInt(byte & 0x7f) << shift;
      shift += 7n;
      if (!(byte & 0x80)) return result;
    }
  };
  while (i < b.length) {
    const key = Number(varint());
    const field = key >> 3;
    const wire = key & 7;
    if (wire === 0) out.push({ field, wire, value: varint() });
    else if (wire === 1) {
      out.push({ field, wire, value: view.getFloat64(i, true) });
      i += 8;
    } else if (wire === 5) {
      out.push({ field, wire, value: view.getFloat32(i, true) });
      i += 4;
    } else if (wire === 2) {
      const length = Number(varint());
      out.push({ field, wire, value: b.subarray(i, i + length) });
      i += length;
    } else throw new Error(`unexpected wire type ${wire}`);
  }
  return out;
}

function readRecords(file: string): Uint8Array[] {
  const bytes = readFileSync(file);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const records: Uint8Array[] = [];
  for (let i = 0; i < bytes.length;) {
    const length = Number(view.getBigUint64(i, true));
    assert.equal(view.getUint32(i + 8, true), mask(bitwiseCrc32c(bytes.subarray(i, i + 8))), 'length CRC');
    const data = bytes.subarray(i + 12, i + 12 + length);
    assert.equal(view.getUint32(i + 12 + length, true), mask(bitwiseCrc32c(data)), 'data CRC');
    records.push(data);
    i += 16 + length;
  }
  return records;
}

test('scalars written by TensorBoardWriter parse back with valid CRCs, tags, steps and values', () => {
  const folder = mkdtempSync(path.join(tmpdir(), 'pneumo-tb-'));
  try {
    let clock = 1700000000.25;
    const writer = new TensorBoardWriter(path.join(folder, 'tb'), () => (clock += 1));
    writer.scalars({ 'loss/train': 0.693, 'loss/validation': 0.5, 'auc/validation': null }, 1);
    writer.scalar('loss/train', 0.25, 2);
    writer.scalar('lr', NaN, 2); // skipped
    writer.scalar('dice/validation', 0.875, 300000000000); // a step beyond 32 bits
    writer.close();
    const files = readdirSync(path.join(folder, 'tb'));
    assert.equal(files.length, 1);
    assert.match(files[0], /^events\.out\.tfevents\.1700000001\./);
    const events = readRecords(path.join(folder, 'tb', files[0])).map(parseProto);
    assert.equal(events.length, 5);
    const first = events[0];
    assert.equal(first.find((f) => f.field === 1)!.value, 1700000001.25);
    assert.equal(Buffer.from(first.find((f) => f.field === 3)!.value as Uint8Array).toString(), 'brain.Event:2');
    const scalars = events.slice(1).map((e) => {
      const summary = parseProto(e.find((f) => f.field === 5)!.value as Uint8Array);
      assert.equal(summary.length, 1);
      const value = parseProto(summary[0].value as Uint8Array);
      return {
        step: Number(e.find((f) => f.field === 2)!.value),
        wall: e.find((f) => f.field === 1)!.value,
        tag: Buffer.from(value.find((f) => f.field === 1)!.value as Uint8Array).toString(),
        value: value.find((f) => f.field === 2 && f.wire === 5)!.value,
      };
    });
    assert.deepEqual(scalars, [
      { step: 1, wall: 1700000002.25, tag: 'loss/train', value: Math.fround(0.693) },
      { step: 1, wall: 1700000003.25, tag: 'loss/validation', value: 0.5 },
      { step: 2, wall: 1700000004.25, tag: 'loss/train', value: 0.25 },
      { step: 300000000000, wall: 1700000005.25, tag: 'dice/validation', value: 0.875 },
    ]);
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
});
