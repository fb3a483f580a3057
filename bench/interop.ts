// `pneumo bench interop`: writing the DICOM results of a prediction (SEG with one bit-packed 1024x1024
// frame, RGB Secondary Capture of the overlay, Comprehensive SR) for the 10 SIIM sample films, ours
// (dcmjs data sets built in src/interop) against pydicom writing the same three objects from the same
// masks and overlay pixels, in the same run; plus the overlay rendering that the SC needs, which
// pydicom is handed ready-made.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readImage } from '../src/data/image-io.js';
import type { GrayImage } from '../src/data/image.js';
import { newInstance } from '../src/interop/common-modules.js';
import { writeDataset } from '../src/interop/dcmjs.js';
import { RESULT_SERIES } from '../src/interop/result-objects.js';
import { buildSecondaryCapture } from '../src/interop/secondary-capture.js';
import { buildSegmentation } from '../src/interop/segmentation.js';
import { readSourceImage, type SourceImage } from '../src/interop/source-image.js';
import { buildStructuredReport } from '../src/interop/structured-report.js';
import { PREDICTION_COLOR, renderOverlayRgb } from '../src/pipeline/overlay.js';
import { PROJECT_ROOT } from '../src/project-paths.js';
import { fixture } from './support/fixtures.js';
import { PYTHON } from './support/python.js';

interface Case {
  file: string;
  source: SourceImage;
  image: GrayImage;
  mask: Uint8Array;
  rgb: Uint8Array;
}

const ALGORITHM = { name: 'pneumo bench', version: '0' };

function writeObjects(c: Case, out: string, k: number): void {
  const created = new Date();
  const common = { source: c.source, algorithm: ALGORITHM, created };
  const segInstance = newInstance(RESULT_SERIES.seg.number, RESULT_SERIES.seg.description);
  const mask = { width: c.image.width, height: c.image.height, data: c.mask };
  const area = c.mask.reduce((s, v) => s + v, 0);
  const datasets = [
    buildSegmentation({ ...common, mask, instance: segInstance }),
    buildSecondaryCapture({
      ...common,
      rgb: c.rgb,
      width: c.image.width,
      height: c.image.height,
      instance: newInstance(RESULT_SERIES.sc.number, RESULT_SERIES.sc.description),
    }),
    buildStructuredReport({
      ...common,
      finding: { present: true, probability: 0.9, threshold: 0.5, areaPixels: area },
      segmentation: segInstance,
      observerUid: '2.25.1',
      instance: newInstance(RESULT_SERIES.sr.number, RESULT_SERIES.sr.description),
    }),
  ];
  datasets.forEach((d, j) => writeFileSync(path.join(out, `${k}.${j}.dcm`), writeDataset(d)));
}

export async function run(o: { quick: boolean }): Promise<object> {
  const dir = fixture('siim-sample');
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.dcm'))
    .sort()
    .map((f) => path.join(dir, f));
  const work = mkdtempSync(path.join(os.tmpdir(), 'pneumo-bench-interop-'));
  try {
    const cases: Case[] = [];
    let overlayMs = 0;
    for (const file of files) {
      const image = await readImage(file);
      const mask = Uint8Array.from(image.pixels, (v) => (v > 0.6 ? 1 : 0));
      const start = performance.now();
      const { rgb } = await renderOverlayRgb(
        image,
        [{ mask: { width: image.width, height: image.height, data: mask }, color: PREDICTION_COLOR }],
        null,
      );
      overlayMs += performance.now() - start;
      cases.push({ file, source: readSourceImage(new Uint8Array(readFileSync(file)), file), image, mask, rgb });
    }
    const rounds = o.quick ? 1 : 5;
    const ours = path.join(work, 'ours');
    const theirs = path.join(work, 'pydicom');
    for (const d of [ours, theirs]) mkdirSync(d, { recursive: true });
    cases.slice(0, 2).forEach((c, k) => writeObjects(c, ours, k)); // warm-up
    const start = performance.now();
    for (let r = 0; r < rounds; r++) cases.forEach((c, k) => writeObjects(c, ours, k));
    const oursPerSecond = (rounds * cases.length) / ((performance.now() - start) / 1000);

    const args = cases.map((c, k) => {
      writeFileSync(path.join(work, `${k}.mask`), c.mask);
      writeFileSync(path.join(work, `${k}.rgb`), c.rgb);
      return `${c.file}:${path.join(work, `${k}.mask`)}:${path.join(work, `${k}.rgb`)}`;
    });
    const py = spawnSync(
      PYTHON,
      [path.join(PROJECT_ROOT, 'bench/interop_python.py'), String(rounds), theirs, ...args],
      {
        cwd: os.tmpdir(),
        encoding: 'utf8',
      },
    );
    const pydicom =
      py.status === 0
        ? (JSON.parse(py.stdout.trim().split('\n').pop()!) as { images_per_s: number; pydicom: string })
        : { error: (py.stderr || py.error?.message || 'failed').trim().split('\n').pop()! };
    return {
      benchmark: 'interop',
      images: cases.length,
      rounds,
      size: `${cases[0].image.width}x${cases[0].image.height}`,
      ours_seg_sc_sr_images_per_s: Number(oursPerSecond.toFixed(2)),
      ours_overlay_render_ms_per_image: Number((overlayMs / cases.length).toFixed(1)),
      pydicom_seg_sc_sr_images_per_s: 'images_per_s' in pydicom ? Number(pydicom.images_per_s.toFixed(2)) : null,
      ratio_ours_over_pydicom:
        'images_per_s' in pydicom ? Number((oursPerSecond / pydicom.images_per_s).toFixed(2)) : null,
      pydicom_version: 'pydicom' in pydicom ? pydicom.pydicom : null,
      ...('error' in pydicom ? { pydicom_error: pydicom.error } : {}),
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
