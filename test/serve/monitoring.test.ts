// Monitoring end to end: the bundle gets the probabilities of synthetic validation films as its
// reference; a day of chest films from the same generator comes in through STOW-RS from one station,
// then a day of inverted films (a misread photometric interpretation: off-distribution) from another.
// The drift is real, not set by hand: the first batch stays under the levels, the second passes them,
// and the warning shows in the API, in the log and in the Prometheus figures.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { InjectOptions } from 'fastify';
import { buildApp, type BuiltApp } from '../../src/serve/app.js';
import { createToken } from '../../src/serve/auth/tokens.js';
import { Predictor } from '../../src/pipeline/predictor.js';
import { writeReferenceDistribution } from '../../src/pipeline/bundle-reference.js';
import { readBundleManifest } from '../../src/pipeline/bundle.js';
import { writeSynthDataset } from '../../src/data/synth/dataset-writer.js';
import { siimDicom } from '../../src/data/synth/siim-dicom.js';
import { decodeDicomBytes } from '../../src/data/dicom/index.js';
import { parseDicomBytes } from '../../src/data/dicom/parse.js';
import type { MonitoringReport } from '../../src/serve/monitoring/monitoring-report.js';
import { auth, makeServeBundle, SMALL_FILM_GATE, stowBody, waitFor } from './serve-support.js';

const root = mkdtempSync(path.join(tmpdir(), 'pneumo-serve-monitoring-'));
const DAY = 86_400_000;
let now = Date.UTC(2026, 2, 2, 9, 0, 0);
let built: BuiltApp;
let log = '';
const tokens = { uploader: '', reviewer: '', admin: '' };
const SIZE = 128;
const VALIDATION = 100;
const BATCH = 60;
const CHEST = { station: 'CHEST-1', manufacturer: 'Acme Radiography' };
const MOBILE = { station: 'MOBILE-7', manufacturer: 'Other Imaging' };
let chestFilms: Uint8Array[] = [];
let invertedFilms: Uint8Array[] = [];

/** A synthetic film's 8-bit pixels (native explicit VR: the pixel data element's bytes). */
function storedPixels(bytes: Uint8Array, name: string): Uint8Array {
  const { dataSet } = parseDicomBytes(bytes, name);
  const element = dataSet.elements.x7fe00010;
  return Uint8Array.from(dataSet.byteArray.subarray(element.dataOffset, element.dataOffset + element.length));
}

async function film(index: number, pixels: Uint8Array, at: { station: string; manufacturer: string }) {
  const uid = `1.2.826.0.1.27.${index}`;
  return siimDicom(
    {
      sopInstanceUid: uid,
      studyInstanceUid: `${uid}.1`,
      seriesInstanceUid: `${uid}.2`,
      patientId: `P${index}`,
      patientAge: '50',
      patientSex: 'M',
      viewPosition: 'PA',
      pixelSpacing: 0.8,
    },
    pixels,
    SIZE,
    'explicit',
    90,
    [
      { tag: 0x00080070, vr: 'LO', value: at.manufacturer },
      { tag: 0x00081010, vr: 'SH', value: at.station },
    ],
  );
}

test.before(async () => {
  const bundleDir = await makeServeBundle(root);
  const synthDir = path.join(root, 'synth');
  const summary = await writeSynthDataset(synthDir, {
    n: VALIDATION + 2 * BATCH,
    size: SIZE,
    seed: 1,
    transferSyntax: 'explicit',
    workers: 0,
  });
  const pixels = summary.images.map((image) => storedPixels(readFileSync(path.join(synthDir, image.file)), image.file));
  const validation = await Promise.all(pixels.slice(0, VALIDATION).map((p, i) => film(i, p, CHEST)));
  chestFilms = await Promise.all(pixels.slice(VALIDATION, VALIDATION + BATCH).map((p, i) => film(1000 + i, p, CHEST)));
  invertedFilms = await Promise.all(
    pixels.slice(VALIDATION + BATCH).map((p, i) =>
      film(
        2000 + i,
        p.map((v) => 255 - v),
        MOBILE,
      ),
    ),
  );
  // The reference: the model's own probabilities on the validation films, as evaluate would write them.
  const predictor = await Predictor.load(bundleDir, { threads: 1 });
  const images = await Promise.all(validation.map(async (bytes, i) => (await decodeDicomBytes(bytes, `v${i}`)).image));
  const probabilities = Array.from(predictor.classify(images));
  predictor.dispose();
  await writeReferenceDistribution(bundleDir, { probabilities, oodScores: null, source: 'synthetic validation films' });
  assert.equal((await readBundleManifest(bundleDir)).reference?.n, VALIDATION);

  built = await buildApp({
    bundleDir,
    storeDir: path.join(root, 'store'),
    clock: () => now,
    threadsPerWorker: 1,
    webDist: null,
    // The test's films are small; the film-size rules are relaxed so that the gate assesses them.
    gate: SMALL_FILM_GATE,
    drift: { psi: 0.2, ks: 0.3, bins: 5, minN: 40, window: BATCH },
    logger: {
      level: 'info',
      stream: new Writable({
        write(chunk, _encoding, done) {
          log += String(chunk);
          done();
        },
      }),
    },
  });
  for (const role of ['uploader', 'reviewer', 'admin'] as const)
    tokens[role] = (await createToken(built.ctx.store, role, `test ${role}`, now)).token;
});
test.after(async () => {
  await built?.app.close();
  rmSync(root, { recursive: true, force: true });
});

const inject = (options: InjectOptions) => built.app.inject(options);

async function streamAndWait(films: readonly Uint8Array[]): Promise<void> {
  for (let start = 0; start < films.length; start += 10) {
    const { body, contentType } = stowBody(films.slice(start, start + 10));
    const answer = await inject({
      method: 'POST',
      url: '/dicom-web/studies',
      payload: body,
      headers: { ...auth(tokens.uploader), 'content-type': contentType },
    });
    assert.equal(answer.statusCode, 200, answer.body);
  }
  await waitFor(
    'every result',
    async () => (await built.ctx.store.queueDepth()) === 0 && (await monitoring()).total.results > 0,
    120_000,
  );
}

async function monitoring(): Promise<MonitoringReport> {
  const answer = await inject({ url: '/api/monitoring', headers: auth(tokens.reviewer) });
  assert.equal(answer.statusCode, 200, answer.body);
  return answer.json();
}

test('monitoring is token-protected; before any upload it has the reference and no figures', async () => {
  assert.equal((await inject({ url: '/api/monitoring' })).statusCode, 401);
  assert.equal((await inject({ url: '/api/monitoring', headers: auth(tokens.uploader) })).statusCode, 403);
  assert.equal((await inject({ url: '/api/monitoring?days=0', headers: auth(tokens.reviewer) })).statusCode, 400);
  const report = await monitoring();
  assert.equal(report.reference.available, true);
  assert.equal(report.reference.n, VALIDATION);
  assert.match(String(report.reference.oodNote), /no OOD scores/);
  assert.equal(report.total.volume, 0);
  assert.deepEqual(report.warnings, []);
});

test('a day of chest films like the validation set: figures per station, no drift', async (t) => {
  await streamAndWait(chestFilms);
  const report = await monitoring();
  const { recent } = report;
  t.diagnostic(`same distribution: PSI ${recent.probability.psi}, KS ${recent.probability.ks}`);
  assert.equal(report.total.volume, BATCH);
  assert.equal(report.total.results, BATCH);
  assert.equal(recent.probability.n, BATCH);
  assert.ok(recent.probability.psi !== null && recent.probability.psi < 0.2, `PSI ${recent.probability.psi}`);
  assert.ok(recent.probability.ks !== null && recent.probability.ks < 0.3, `KS ${recent.probability.ks}`);
  assert.deepEqual(report.warnings, []);
  assert.deepEqual(
    report.byStation.map((s) => [s.station, s.manufacturer, s.volume]),
    [[CHEST.station, CHEST.manufacturer, BATCH]],
  );
  assert.deepEqual(
    report.byDay.map((d) => [d.day, d.volume]),
    [['2026-03-02', BATCH]],
  );
  // Share positive: the decisions as the worklist shows them; the chest films all pass the gate.
  const worklist = (await inject({ url: '/api/worklist?status=all&limit=500', headers: auth(tokens.reviewer) })).json();
  const positives = worklist.items.filter((i: { result: { decision: boolean } }) => i.result.decision).length;
  assert.equal(report.total.sharePositive, positives / BATCH);
  assert.equal(report.total.shareNotAssessed, 0);
  assert.deepEqual(report.total.latencySeconds, { p50: 0, p99: 0 }, 'the test clock stands still');
  // Reviews: three agree, one disagrees.
  const uids = worklist.items.slice(0, 4).map((i: { uid: string }) => i.uid);
  for (const [k, uid] of uids.entries()) {
    const answer = await inject({
      method: 'POST',
      url: `/api/instances/${uid}/review`,
      payload: { verdict: k === 3 ? 'disagree' : 'agree' },
      headers: auth(tokens.reviewer),
    });
    assert.equal(answer.statusCode, 200, answer.body);
  }
  const reviewed = await monitoring();
  assert.equal(reviewed.total.reviewed, 4);
  assert.equal(reviewed.total.agreementRate, 0.75);
  const instance = (await inject({ url: `/api/instances/${uids[0]}`, headers: auth(tokens.reviewer) })).json();
  assert.deepEqual([instance.stationName, instance.manufacturer], [CHEST.station, CHEST.manufacturer]);
});

test('the next day, inverted films from another station: the drift warning appears, is logged and exported', async (t) => {
  now += DAY;
  await streamAndWait(invertedFilms);
  const report = await monitoring();
  const { recent } = report;
  t.diagnostic(`inverted films: PSI ${recent.probability.psi}, KS ${recent.probability.ks}`);
  assert.ok(recent.probability.drifted, JSON.stringify(recent.probability));
  assert.ok(
    (recent.probability.psi ?? 0) > 0.2 || (recent.probability.ks ?? 0) > 0.3,
    `PSI ${recent.probability.psi}, KS ${recent.probability.ks}`,
  );
  const keys = report.warnings.map((w) => w.key).sort();
  assert.deepEqual(keys, [
    'day:2026-03-03:probability',
    'recent:probability',
    `station:${MOBILE.manufacturer}:${MOBILE.station}:probability`,
  ]);
  const day1 = report.byDay.find((d) => d.day === '2026-03-02')!;
  assert.equal(day1.probability.drifted, false, 'the first day stays clear');
  assert.match(report.warnings.find((w) => w.key === 'recent:probability')!.message, /drifted.*last 60 results/);
  // Logged as a pino warning when it appeared (and as information should it clear while the window
  // filled with the inverted films); the last word is the warning.
  const lines = log
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { level: number; drift?: string; msg: string })
    .filter((line) => line.drift === 'recent:probability');
  assert.ok(lines.length >= 1);
  assert.equal(lines[lines.length - 1].level, 40);
  assert.match(lines[lines.length - 1].msg, /probability distribution drifted/);
  // Prometheus.
  const metrics = await inject({ url: '/metrics', headers: auth(tokens.admin) });
  assert.equal(metrics.statusCode, 200);
  const text = metrics.body;
  assert.match(text, /pneumo_monitoring_drift\{scope="recent",station="",manufacturer="",score="probability"\} 1/);
  assert.match(
    text,
    new RegExp(
      `pneumo_monitoring_drift\\{scope="station",station="${CHEST.station}",manufacturer="${CHEST.manufacturer}",score="probability"\\} 0`,
    ),
  );
  const psi = new RegExp(
    'pneumo_monitoring_psi\\{scope="recent",station="",manufacturer="",score="probability"\\} ([0-9.e-]+)',
  ).exec(text);
  assert.ok(psi && Math.abs(Number(psi[1]) - recent.probability.psi!) < 1e-9, 'the same PSI as the API');
  assert.match(text, /pneumo_monitoring_instances\{scope="period",station="",manufacturer=""\} 120/);
  assert.match(text, /pneumo_monitoring_agreement_rate\{scope="period",station="",manufacturer=""\} 0.75/);
  assert.match(text, /pneumo_monitoring_share_not_assessed\{scope="period",station="",manufacturer=""\} 0/);
  assert.match(
    text,
    /pneumo_monitoring_latency_seconds\{scope="period",station="",manufacturer="",quantile="0.99"\} 0/,
  );
  assert.match(text, /pneumo_monitoring_reference_available 1/);
});
