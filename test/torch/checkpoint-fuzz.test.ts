// Fuzz: 500 mutated checkpoint files (bits flipped, bytes overwritten, files cut short, and the pickle
// inside a zip mutated with the CRCs rewritten, so that the unpickler itself meets the damage) each load
// or fail with a one-line CheckpointError naming the file: no other exception, no crash, no hang, no
// runaway allocation, no leaked tensor. Seeded, so a failure replays.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import * as torch from '../../src/torch/index.js';
import { ZipArchive } from '../../src/torch/zip-archive.js';
import { runPython } from '../../bench/support/python.js';

const FILES = 500;
const BASES = ['views.pth', 'views-big.pth', 'views-legacy.pth', 'small-module.pt', 'small-module-legacy.pt'];

let dir = '';
before(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'pneumo-checkpoint-fuzz-'));
  runPython('test/torch/golden/checkpoint_reference.py', 'reader', dir);
});
after(() => rmSync(dir, { recursive: true, force: true }));

function mulberry32(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A stored zip of the given records, as torch.save lays one out (without its alignment padding). */
function writeZip(records: [string, Buffer][]): Buffer {
  const locals: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const [name, data] of records) {
    const nameBytes = Buffer.from(name, 'utf8');
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    const entry = Buffer.alloc(46);
    entry.writeUInt32LE(0x02014b50, 0);
    entry.writeUInt16LE(20, 4);
    entry.writeUInt16LE(20, 6);
    entry.writeUInt32LE(crc, 16);
    entry.writeUInt32LE(data.length, 20);
    entry.writeUInt32LE(data.length, 24);
    entry.writeUInt16LE(nameBytes.length, 28);
    entry.writeUInt32LE(offset, 42);
    locals.push(local, nameBytes, data);
    central.push(entry, nameBytes);
    offset += 30 + nameBytes.length + data.length;
  }
  const directory = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(records.length, 8);
  end.writeUInt16LE(records.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

function mutateBytes(bytes: Buffer, random: () => number): Buffer {
  const out = Buffer.from(bytes);
  const at = () => Math.floor(random() * out.length);
  switch (Math.floor(random() * 5)) {
    case 0: // flip a few bits
      for (let i = 0, n = 1 + Math.floor(random() * 4); i < n; i++) out[at()] ^= 1 << Math.floor(random() * 8);
      return out;
    case 1: // cut short
      return out.subarray(0, at());
    case 2: {
      // overwrite a run with noise
      const start = at();
      for (let i = start; i < Math.min(out.length, start + 1 + Math.floor(random() * 16)); i++)
        out[i] = Math.floor(random() * 256);
      return out;
    }
    case 3: {
      // a length-like field set to an extreme
      const start = Math.min(at(), out.length - 4);
      if (start >= 0) out.writeUInt32LE([0xffffffff, 0x7fffffff, 0x10000000, 0][Math.floor(random() * 4)], start);
      return out;
    }
    default: {
      // bytes inserted or removed
      const start = at();
      const n = 1 + Math.floor(random() * 8);
      return random() < 0.5
        ? Buffer.concat([
            out.subarray(0, start),
            Buffer.from(Array.from({ length: n }, () => Math.floor(random() * 256))),
            out.subarray(start),
          ])
        : Buffer.concat([out.subarray(0, start), out.subarray(start + n)]);
    }
  }
}

/** Mutates the pickle inside a zip checkpoint and rewrites the archive with valid CRCs. */
function mutatePickle(file: string, random: () => number): Buffer {
  const archive = ZipArchive.open(file);
  try {
    const records = [...archive.records.keys()].map((name): [string, Buffer] => [name, archive.read(name)]);
    for (const record of records) if (record[0].endsWith('data.pkl')) record[1] = mutateBytes(record[1], random);
    return writeZip(records);
  } finally {
    archive.close();
  }
}

test(`${FILES} mutated checkpoints load or fail with a one-line CheckpointError; nothing else escapes`, () => {
  const random = mulberry32(20261201);
  const live = torch.liveTensors();
  const rssBefore = process.memoryUsage().rss;
  const outcomes = { loaded: 0, refused: 0 };
  let slowest = 0;
  for (let i = 0; i < FILES; i++) {
    const base = BASES[i % BASES.length];
    const source = path.join(dir, base);
    const zipped = !base.includes('legacy');
    const bytes = zipped && random() < 0.6 ? mutatePickle(source, random) : mutateBytes(readFileSync(source), random);
    const file = path.join(dir, `fuzz-${i}-${base}`);
    writeFileSync(file, bytes);
    const started = performance.now();
    try {
      const { tensors } = torch.loadTorchCheckpoint(file);
      tensors.forEach((t) => t.dispose());
      outcomes.loaded++;
    } catch (err) {
      assert.ok(err instanceof torch.CheckpointError, `${file}: ${(err as Error).stack}`);
      assert.ok(err.message.startsWith(`${file}: `) && !err.message.includes('\n'), err.message);
      outcomes.refused++;
    }
    slowest = Math.max(slowest, performance.now() - started);
  }
  assert.equal(torch.liveTensors(), live);
  assert.ok(slowest < 2000, `slowest load took ${slowest.toFixed(0)} ms`);
  assert.ok(process.memoryUsage().rss - rssBefore < 512 << 20, 'memory grew by more than 512 MiB');
  // Both outcomes occur: the mutations are neither all harmless nor all caught at the first byte.
  assert.ok(outcomes.loaded > 10 && outcomes.refused > 100, JSON.stringify(outcomes));
});
