// The reading room runs the exported models in the browser: Chromium (playwright-core) opens #/local
// on `pneumo serve`, a SIIM sample film is dropped in (the file input the drop zone shares its
// handler with), onnxruntime-web (WebAssembly from the service's /ort/, models from /api/models/)
// gives the probability and the mask, and both match what the service's own workers computed for the
// same film uploaded over STOW-RS. The page's display step is the model-input contract's: on a film
// with a VOI LUT and on one through a Modality LUT and a sigmoid window, the classifier's input plane
// in the page equals the one the server's reader and the contract make.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { decodeRle } from '../../src/data/rle.js';
import { readImage } from '../../src/data/image-io.js';
import { checkModelInput, modelInputBatch, type ModelInput } from '../../src/data/model-input.js';
import { modalityLutFilm, voiLutFilm } from './lut-films.js';
import { SIIM_SAMPLE } from '../fixture-path.js';
import {
  auth,
  createTokenCli,
  makeServeBundle,
  startServer,
  stowOverHttp,
  waitFor,
  type ServerProcess,
} from '../serve/serve-support.js';

const FILM = path.join(SIIM_SAMPLE, '1.2.276.0.7230010.3.1.4.8323329.4904.1517875185.355709.dcm');
const UID = '1.2.276.0.7230010.3.1.4.8323329.4904.1517875185.355709';
const root = mkdtempSync(path.join(tmpdir(), 'pneumo-web-local-'));
test.after(() => rmSync(root, { recursive: true, force: true }));

interface LocalResult {
  probability: number;
  segmented: boolean;
  area: number;
  width: number;
  height: number;
  mask: string;
  classifierInput: string;
}

interface Film {
  name: string;
  file: string;
  uid: string;
}

/** The server's classifier input for a film: its reader, then the contract of the bundle. */
async function serverInput(file: string, contract: ModelInput): Promise<Float32Array> {
  return modelInputBatch([await readImage(file)], contract);
}

function maxDifference(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

test('the exported models in Chromium (onnxruntime-web) give the service’s input, probability and mask', async (t) => {
  const bundle = await makeServeBundle(root);
  const contract = checkModelInput(
    (JSON.parse(readFileSync(path.join(bundle, 'bundle.json'), 'utf8')) as { classifier: { input: unknown } })
      .classifier.input,
    'bundle.json classifier.input',
  );
  const films: Film[] = [{ name: 'SIIM film', file: FILM, uid: UID }];
  for (const [name, made] of [
    ['VOI LUT film', voiLutFilm(new Uint8Array(readFileSync(FILM)))],
    ['Modality LUT + sigmoid window film', await modalityLutFilm(FILM)],
  ] as const) {
    const file = path.join(root, `${made.uid}.dcm`);
    writeFileSync(file, made.bytes);
    films.push({ name, file, uid: made.uid });
  }
  const store = path.join(root, 'store');
  const uploader = await createTokenCli(store, 'uploader');
  const reviewer = await createTokenCli(store, 'reviewer');
  let server: ServerProcess | null = null;
  let browser: Browser | null = null;
  try {
    server = await startServer(['--bundle', bundle, '--store', store, '--workers', '1', '--threads', '1']);
    const url = server.url;
    assert.equal(
      (
        await stowOverHttp(
          url,
          uploader,
          films.map((f) => readFileSync(f.file)),
        )
      ).status,
      200,
    );
    const instance = async (uid: string) =>
      (await (await fetch(`${url}/api/instances/${uid}`, { headers: auth(reviewer) })).json()) as {
        columns: number;
        rows: number;
        result: { probability: number; rle: string } | null;
      };
    // The runtime is public and comes from the installed package; the models need a token.
    const wasm = await fetch(`${url}/ort/ort-wasm-simd-threaded.wasm`);
    assert.equal(wasm.headers.get('content-type'), 'application/wasm');
    assert.equal((await fetch(`${url}/api/models/segmenter.onnx`)).status, 401);
    assert.equal((await fetch(`${url}/ort/ort.all.min.js`)).status, 404);

    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox'] });
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    await page.goto(`${url}/`);
    await page.fill('#token', reviewer);
    await page.press('#token', 'Enter');
    await page.waitForSelector('table.worklist');
    await page.evaluate(() => ((globalThis as unknown as { location: { hash: string } }).location.hash = '#/local'));
    const inputs: Float32Array[] = [];
    for (const film of films) {
      await page.evaluate(() => delete (globalThis as { pneumoLocalResult?: unknown }).pneumoLocalResult);
      await page.setInputFiles('#local-file', film.file);
      await page.waitForFunction(
        () => (globalThis as { pneumoLocalResult?: unknown }).pneumoLocalResult !== undefined,
        null,
        { timeout: 90_000 },
      );
      const local = (await page.evaluate(
        () => (globalThis as unknown as { pneumoLocalResult: unknown }).pneumoLocalResult,
      )) as LocalResult;
      assert.deepEqual(problems, [], film.name);
      await waitFor(
        `the service’s result for the ${film.name}`,
        async () => (await instance(film.uid)).result !== null,
        90_000,
      );
      const served = await instance(film.uid);
      assert.deepEqual([local.width, local.height], [served.columns, served.rows], film.name);

      // The model input: the page's display step is the server reader's.
      const bytes = Buffer.from(local.classifierInput, 'base64');
      const pageInput = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
      const expectedInput = await serverInput(film.file, contract);
      const inputDifference = maxDifference(pageInput, expectedInput);
      inputs.push(pageInput);

      const result = served.result!;
      const mask = Buffer.from(local.mask, 'base64');
      const expected = decodeRle(result.rle, served.columns, served.rows).data;
      let differing = 0;
      let area = 0;
      for (let i = 0; i < expected.length; i++) {
        if (mask[i] !== expected[i]) differing++;
        area += expected[i];
      }
      t.diagnostic(
        `${film.name}: input differs by at most ${inputDifference}; probability browser ${local.probability} service ${result.probability}; ${differing} of ${expected.length} mask pixels differ (service area ${area})`,
      );
      // Float32 normalisation in the same order on both sides: the planes agree to float rounding.
      assert.ok(inputDifference < 1e-5, `${film.name}: the page's model input differs by ${inputDifference}`);
      assert.ok(
        Math.abs(local.probability - result.probability) < 1e-4,
        `${film.name}: browser ${local.probability}, service ${result.probability}`,
      );
      assert.ok(area > 0, `the service outlined something on the ${film.name}`);
      // Random weights put many pixels near the threshold; float rounding may move a few across it.
      assert.ok(
        differing <= expected.length * 1e-4,
        `${film.name}: ${differing} of ${expected.length} mask pixels differ`,
      );
      assert.match((await page.textContent('#local-result')) ?? '', /^probability \d\.\d{3}/);
    }
    // The films' display steps took effect: each input differs from the plain film's.
    for (let i = 1; i < inputs.length; i++)
      assert.ok(maxDifference(inputs[0], inputs[i]) > 0.1, `${films[i].name}: its LUTs changed nothing`);
  } finally {
    await browser?.close();
    if (server) {
      server.child.kill('SIGTERM');
      await server.exited;
    }
  }
});
