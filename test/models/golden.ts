// Runs the committed torchvision reference script (test/models/golden/torchvision_golden.py) with
// Debian's Python, which has torch and torchvision, into a fresh temporary folder.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as torch from '../../src/torch/index.js';

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
export function readGolden(dir: string, file: string): Map<string, torch.Tensor> {
  return torch.loadSafetensors(path.join(dir, file));
}

export function disposeAll(tensors: Map<string, torch.Tensor>): void {
  for (const t of tensors.values()) t.dispose();
}
