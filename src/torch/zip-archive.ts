// The part of the zip format that torch.save writes (PyTorch >= 1.6): a central directory at the end
// of the file, stored (uncompressed) records aligned to 64 bytes, zip64 fields for files over 4 GiB.
// Deflated records are read too, so that an archive re-zipped by a tool still loads. Every size and
// offset is checked against the file before anything is allocated, and each record's CRC-32 is
// verified, so a corrupt file is an error naming the record rather than silently different weights.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { crc32, inflateRawSync } from 'node:zlib';

export class ZipError extends Error {
  override name = 'ZipError';
}

export interface ZipRecord {
  name: string;
  method: 0 | 8;
  crc: number;
  compressedSize: number;
  size: number;
  /** Offset of the record's local header in the file. */
  headerOffset: number;
}

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const MAX_COMMENT = 0xffff;
// Deflate cannot expand data more than about 1032:1; a claimed size beyond that is a lie.
const MAX_DEFLATE_RATIO = 1032;

function u64(buffer: Buffer, offset: number): number {
  const value = buffer.readBigUInt64LE(offset);
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new ZipError(`zip64 field ${value} is out of range`);
  return Number(value);
}

/** An open archive; records are read on demand. Close it when done. */
export class ZipArchive {
  readonly records = new Map<string, ZipRecord>();
  readonly #fd: number;
  readonly #size: number;

  private constructor(fd: number) {
    this.#fd = fd;
    this.#size = fstatSync(fd).size;
  }

  /** Opens `file` and reads its central directory; throws ZipError when it is not a readable zip. */
  static open(file: string): ZipArchive {
    const fd = openSync(file, 'r');
    const archive = new ZipArchive(fd);
    try {
      archive.#readDirectory();
    } catch (err) {
      archive.close();
      throw err;
    }
    return archive;
  }

  close(): void {
    closeSync(this.#fd);
  }

  #read(position: number, length: number, what: string): Buffer {
    if (position < 0 || length < 0 || position + length > this.#size)
      throw new ZipError(
        `${what} at byte ${position} (+${length}) runs past the end of the file (${this.#size} bytes)`,
      );
    const buffer = Buffer.allocUnsafe(length);
    let done = 0;
    while (done < length) {
      // One read call takes at most 2 GiB; storages can be larger.
      const n = readSync(this.#fd, buffer, done, Math.min(length - done, 1 << 30), position + done);
      if (n === 0) throw new ZipError(`file ends inside the ${what}`);
      done += n;
    }
    return buffer;
  }

  #readDirectory(): void {
    const tailLength = Math.min(this.#size, 22 + MAX_COMMENT);
    const tail = this.#read(this.#size - tailLength, tailLength, 'end of central directory');
    let at = -1;
    for (let i = tailLength - 22; i >= 0; i--)
      if (tail.readUInt32LE(i) === EOCD) {
        at = i;
        break;
      }
    if (at < 0) throw new ZipError('no end-of-central-directory record (not a zip file, or truncated)');
    let entries = tail.readUInt16LE(at + 10);
    let directorySize = tail.readUInt32LE(at + 12);
    let directoryOffset = tail.readUInt32LE(at + 16);
    if (entries === 0xffff || directorySize === 0xffffffff || directoryOffset === 0xffffffff) {
      const locatorAt = this.#size - tailLength + at - 20;
      const locator = this.#read(locatorAt, 20, 'zip64 locator');
      if (locator.readUInt32LE(0) !== ZIP64_LOCATOR) throw new ZipError('zip64 locator missing');
      const end = this.#read(u64(locator, 8), 56, 'zip64 end of central directory');
      if (end.readUInt32LE(0) !== ZIP64_EOCD) throw new ZipError('zip64 end of central directory missing');
      entries = u64(end, 32);
      directorySize = u64(end, 40);
      directoryOffset = u64(end, 48);
    }
    // Each directory entry takes at least 46 bytes, which bounds the count before any allocation.
    if (entries * 46 > directorySize)
      throw new ZipError(`central directory of ${directorySize} bytes cannot hold ${entries} records`);
    const directory = this.#read(directoryOffset, directorySize, 'central directory');
    let p = 0;
    for (let i = 0; i < entries; i++) {
      if (p + 46 > directory.length || directory.readUInt32LE(p) !== CENTRAL)
        throw new ZipError(`central directory record ${i} is damaged`);
      const method = directory.readUInt16LE(p + 10);
      const crc = directory.readUInt32LE(p + 16);
      let compressedSize = directory.readUInt32LE(p + 20);
      let size = directory.readUInt32LE(p + 24);
      const nameLength = directory.readUInt16LE(p + 28);
      const extraLength = directory.readUInt16LE(p + 30);
      const commentLength = directory.readUInt16LE(p + 32);
      let headerOffset = directory.readUInt32LE(p + 42);
      const nameEnd = p + 46 + nameLength;
      if (nameEnd + extraLength + commentLength > directory.length)
        throw new ZipError(`central directory record ${i} runs past the directory`);
      const name = directory.toString('utf8', p + 46, nameEnd);
      // zip64 extra field: the 64-bit values of the fields that hold 0xffffffff, in this order.
      for (let e = nameEnd; e + 4 <= nameEnd + extraLength;) {
        const id = directory.readUInt16LE(e);
        const length = directory.readUInt16LE(e + 2);
        if (id === 1) {
          let q = e + 4;
          const next = (): number => {
            if (q + 8 > e + 4 + length || q + 8 > directory.length)
              throw new ZipError(`zip64 field of ${name} is short`);
            const v = u64(directory, q);
            q += 8;
            return v;
          };
          if (size === 0xffffffff) size = next();
          if (compressedSize === 0xffffffff) compressedSize = next();
          if (headerOffset === 0xffffffff) headerOffset = next();
        }
        e += 4 + length;
      }
      if (method !== 0 && method !== 8) throw new ZipError(`record ${name} uses compression method ${method}`);
      if (method === 0 && compressedSize !== size)
        throw new ZipError(`stored record ${name} has compressed size ${compressedSize} but size ${size}`);
      if (headerOffset + 30 + compressedSize > this.#size)
        throw new ZipError(`record ${name} (${compressedSize} bytes at ${headerOffset}) runs past the end of the file`);
      if (method === 8 && size > compressedSize * MAX_DEFLATE_RATIO + 64)
        throw new ZipError(`record ${name} claims ${size} bytes from ${compressedSize} compressed`);
      this.records.set(name, { name, method, crc, compressedSize, size, headerOffset });
      p = nameEnd + extraLength + commentLength;
    }
  }

  /** The bytes of one record, CRC-checked. */
  read(name: string): Buffer {
    const record = this.records.get(name);
    if (!record) throw new ZipError(`record ${name} is missing`);
    const local = this.#read(record.headerOffset, 30, `local header of ${name}`);
    if (local.readUInt32LE(0) !== LOCAL) throw new ZipError(`local header of ${name} is damaged`);
    const dataStart = record.headerOffset + 30 + local.readUInt16LE(26) + local.readUInt16LE(28);
    const raw = this.#read(dataStart, record.compressedSize, `data of ${name}`);
    let data = raw;
    if (record.method === 8) {
      try {
        data = inflateRawSync(raw, { maxOutputLength: Math.max(1, record.size) });
      } catch (err) {
        throw new ZipError(`record ${name} does not inflate (${(err as Error).message})`);
      }
    }
    if (data.length !== record.size)
      throw new ZipError(`record ${name} holds ${data.length} bytes, expected ${record.size}`);
    if (crc32(data) !== record.crc) throw new ZipError(`record ${name} fails its CRC-32 check (corrupt file)`);
    return data;
  }
}
