// `pneumo bench eda`: reading the DICOM headers of a SIIM-sized dataset (12,000 files) for the EDA,
// pneumo's concurrent reader against pydicom's dcmread(stop_before_pixels=True) in a loop, on the same
// files in the same run. The files are hard links to the SIIM sample under fresh names, so both sides
// read from a warm page cache: this measures parsing and system calls, not the disk.
import { spawnSync } from 'node:child_process';
import { copyFile, link, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { readHeaders } from '../src/report/eda/read-headers.js';
import { findDicomFiles } from '../src/data/dataset.js';
import { readDicomHeader } from '../src/data/dicom/index.js';
import { PROJECT_ROOT } from '../src/project-paths.js';
import { fixture } from './support/fixtures.js';
import { PYTHON } from './support/python.js';

export async function run({ quick }: { quick: boolean }): Promise<object> {
  const files = quick ? 1200 : 12000;
  const sample = fixture('siim-sample');
  const sources = (await readdir(sample)).filter((n) => n.endsWith('.dcm')).map((n) => path.join(sample, n));
  const dir = await mkdtemp(path.join(tmpdir(), 'pneumo-bench-eda-'));
  try {
    // SIIM's layout: one folder per study and series, one file in each.
    for (let i = 0; i < files; i++) {
      const folder = path.join(dir, `study-${Math.floor(i / 100)}`, `series-${i}`);
      await mkdir(folder, { recursive: true });
      const target = path.join(folder, `image-${i}.dcm`);
      await link(sources[i % sources.length], target).catch(() => copyFile(sources[i % sources.length], target));
    }
    let start = performance.now();
    const found = await findDicomFiles(dir);
    const findSeconds = (performance.now() - start) / 1000;
    start = performance.now();
    const { entries, unreadable } = await readHeaders(found, { read: readDicomHeader });
    const oursSeconds = (performance.now() - start) / 1000;
    if (entries.length !== files || unreadable.length > 0)
      throw new Error(`bench eda: read ${entries.length} of ${files} headers`);

    const list = path.join(dir, 'files.txt');
    await writeFile(list, found.join('\n'));
    const py = spawnSync(PYTHON, [path.join(PROJECT_ROOT, 'bench', 'eda-headers.py'), list], { encoding: 'utf8' });
    if (py.status !== 0)
      throw new Error(`bench eda: the pydicom reference failed: ${py.stderr.trim().split('\n').at(-1)}`);
    const python = JSON.parse(py.stdout) as { files: number; seconds: number };
    return {
      benchmark: 'eda-headers',
      files,
      findSeconds: round(findSeconds),
      oursSeconds: round(oursSeconds),
      oursFilesPerSecond: Math.round(files / oursSeconds),
      pydicomSeconds: round(python.seconds),
      pydicomFilesPerSecond: Math.round(files / python.seconds),
      speedupVsPydicom: round(python.seconds / oursSeconds),
      note: 'warm page cache (hard links to the SIIM sample); pydicom dcmread(stop_before_pixels=True) in a loop',
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function round(x: number): number {
  return Number(x.toFixed(3));
}
