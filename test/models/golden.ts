// Runs the committed torchvision reference script (test/models/golden/torchvision_golden.py) with
// Debian's Python, which has torch and torchvision, into a fresh temporary folder.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as torch from '../../src/torch/index.js';
import { runPython } from '../../bench/support/python.js';

export function runGolden(mode: 'structure' | 'parity'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), `pneumo-golden-${mode}-`));
  try {
    runPython('test/models/golden/torchvision_golden.py', mode, dir);
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
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
