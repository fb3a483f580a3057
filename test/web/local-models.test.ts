// The reading room runs the exported models in the browser: Chromium (playwright-core) opens #/local
// on `pneumo serve`, a SIIM sample film is dropped in (the file input the drop zone shares its
// handler with), onnxruntime-web (WebAssembly from the service's /ort/, models from /api/models/)
// gives the probability and the mask, and both match what the service's own workers computed for the
// same film uploaded over STOW-RS.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { decodeRle } from '../../src/data/rle.js';
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
}

test('the exported models in Chromium (onnxruntime-web) give the service’s probability and mask', async (t) => {
  const bundle = await makeServeBundle(root);
  const store = path.join(root, 'store');
  const uploader = await createTokenCli(store, 'uploader');
  const reviewer = await createTokenCli(store, 'reviewer');
  let server: ServerProcess | null = null;
  let browser: Browser | null = null;
  try {
    server = await startServer(['--bundle', bundle, '--store', store, '--workers', '1', '--threads', '1']);
    const url = server.url;
    assert.equal((await stowOverHttp(url, uploader, [readFileSync(FILM)])).status, 200);
    const instance = async () =>
      (await (await fetch(`${url}/api/instances/${UID}`, { headers: auth(reviewer) })).json()) as {
        columns: number;
        rows: number;
        result: { probability: number; rle: string } | null;
      };
    await waitFor('the service’s result', async () => (await instance()).result !== null, 90_000);
    const served = await instance();
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
    await page.setInputFiles('#local-file', FILM);
    await page.waitForFunction(
      () => (globalThis as { pneumoLocalResult?: unknown }).pneumoLocalResult !== undefined,
      null,
      {
        timeout: 90_000,
      },
    );
    const local = (await page.evaluate(
      () => (globalThis as unknown as { pneumoLocalResult: unknown }).pneumoLocalResult,
    )) as LocalResult;
    assert.deepEqual(problems, []);
    assert.deepEqual([local.width, local.height], [served.columns, served.rows]);
    const result = served.result!;
    assert.ok(
      Math.abs(local.probability - result.probability) < 1e-4,
      `browser ${local.probability}, service ${result.probability}`,
    );
    const mask = Buffer.from(local.mask, 'base64');
    const expected = decodeRle(result.rle, served.columns, served.rows).data;
    let differing = 0;
    let area = 0;
    for (let i = 0; i < expected.length; i++) {
      if (mask[i] !== expected[i]) differing++;
      area += expected[i];
    }
    t.diagnostic(
      `probability browser ${local.probability} service ${result.probability}; ${differing} of ${expected.length} mask pixels differ (service area ${area})`,
    );
    assert.ok(area > 0, 'the service outlined something on this film');
    // Random weights put many pixels near the threshold; float rounding may move a few across it.
    assert.ok(differing <= expected.length * 1e-4, `${differing} of ${expected.length} mask pixels differ`);
    assert.match((await page.textContent('#local-result')) ?? '', /^probability \d\.\d{3}/);
  } finally {
    await browser?.close();
    if (server) {
      server.child.kill('SIGTERM');
      await server.exited;
    }
  }
});
