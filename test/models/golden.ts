// Runs the committed torchvision reference script (test/models/golden/torchvision_golden.py) with
// Debian's Python, which has torch and torchvision, into a fresh temporary folder.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as torch from '../../src/torch/index.js';
import { readSafetensors } from '../../src/models/safetensors-reader.js';

export const PYTHON = process.env.PNEUMO_PYTHON ?? '/usr/bin/python3';
// dist/test/models -> repository root
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const SCRIPT = path.join(ROOT, 'test', 'models', 'golden', 'torchvision_golden.py');

export function runGolden(mode: 'structure' | 'parity'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), `pneumo-golden-${mode}-`));
  const result = spawnSync(PYTHON, [SCRIPT, mode, dir], { encoding: 'utf8' });
  if (result.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(
      `${PYTHON} ${SCRIPT} ${mode} failed (needs python3-torch and python3-torchvision): ${result.error?.message ?? result.stderr}`,
    );
  }
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The tensors of one golden file; dispose them when done. */
export async function readGolden(dir: string, file: string): Promise<Map<string, torch.Tensor>> {
  return (await readSafetensors(path.join(dir, file))).tensors;
}

export function disposeAll(tensors: Map<string, torch.Tensor>): void {
  for (const t of tensors.values()) t.dispose();
}

const SAFETENSORS_DTYPE: Partial<Record<torch.DType, string>> = { float32: 'F32', int64: 'I64', float64: 'F64' };

/** A small safetensors writer for tests (the layout of scripts/torch_to_safetensors.py). */
export function safetensorsBytes(tensors: ReadonlyMap<string, torch.Tensor>): Buffer {
  const header: Record<string, unknown> = {};
  const blobs: Buffer[] = [];
  let offset = 0;
  for (const [name, t] of tensors) {
    const data = t.data();
    const raw = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    header[name] = { dtype: SAFETENSORS_DTYPE[t.dtype], shape: t.shape, data_offsets: [offset, offset + raw.length] };
    blobs.push(raw);
    offset += raw.length;
  }
  const json = Buffer.from(JSON.stringify(header));
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([length, json, ...blobs]);
}
