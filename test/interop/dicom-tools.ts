// The independent readers the interop tests hold pneumo's DICOM objects to: dicom3tools' dciodvfy
// (IOD and VR conformance), DCMTK's dcmdump and dsr2xml, and pydicom (test/interop/dicom_objects_check.py).
import { spawnSync } from 'node:child_process';
import { pythonJson } from '../../bench/support/python.js';

function run(tool: string, args: string[]): { status: number | null; out: string } {
  const result = spawnSync(tool, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (result.error) throw new Error(`${tool} could not run (${result.error.message}); scripts/setup.sh installs it`);
  return { status: result.status, out: `${result.stdout}${result.stderr}` };
}

/** dciodvfy's Error lines for a file (warnings are left out: the SIIM sources themselves carry some). */
export function dciodvfyErrors(file: string): string[] {
  return run('dciodvfy', [file])
    .out.split('\n')
    .filter((line) => /^Error/.test(line));
}

/** dcmdump's listing; throws when DCMTK cannot read the file. */
export function dcmdump(file: string): string {
  const { status, out } = run('dcmdump', ['-q', file]);
  if (status !== 0 || /^E: /m.test(out)) throw new Error(`dcmdump ${file} failed: ${out.slice(0, 500)}`);
  return out;
}

/** dsr2xml's XML of an SR; throws when DCMTK cannot read or check the document. */
export function dsr2xml(file: string): string {
  const { status, out } = run('dsr2xml', [file]);
  if (status !== 0 || /^E: /m.test(out)) throw new Error(`dsr2xml ${file} failed: ${out.slice(0, 500)}`);
  return out;
}

export interface SrItem {
  depth: number;
  relationship: string;
  type: string;
  concept: string | null;
  value: unknown;
}

export interface PydicomView {
  file: string;
  sopClass: string;
  sopInstance: string;
  study: string;
  series: string;
  modality: string;
  patientId: string;
  patientAge: string;
  seg?: {
    rows: number;
    columns: number;
    frames: number;
    shape: number[];
    runs: [number, number][];
    segmentLabel: string;
    propertyType: string;
    algorithmType: string;
    source: string;
    pixelSpacing: [number, number] | null;
  };
  sc?: { shape: number[]; photometric: string; burnedIn: string; sha256: string };
  sr?: { root: string; items: SrItem[] };
}

export function pydicomView(files: string[]): PydicomView[] {
  return pythonJson<PydicomView[]>('test/interop/dicom_objects_check.py', ...files);
}

/** Row-major runs of ones (start, length) of a 0/1 mask, as the Python checker prints them. */
export function maskRuns(data: Uint8Array): [number, number][] {
  const runs: [number, number][] = [];
  for (let i = 0; i < data.length; i++) {
    if (data[i] === 0) continue;
    const start = i;
    while (i < data.length && data[i] !== 0) i++;
    runs.push([start, i - start]);
  }
  return runs;
}
