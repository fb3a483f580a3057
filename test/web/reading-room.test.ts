// The reading room in a real browser: Debian's Chromium driven by playwright-core against `pneumo serve`
// on a loopback port with a tiny bundle and the SIIM sample uploaded over STOW-RS, one of its studies
// given a lateral and a named patient. An uploader's token is refused; the worklist must show one row
// per study in the service's priority order with the patient's name, ID, accession, date and
// description; the viewer must draw the overlay, measure with the ruler in mm, change the window on a
// drag (the canvas pixels change), hide the mask on O, record A as a review the API returns, and save a
// brush correction as SIIM RLE that the API returns and the viewer shows again after a reload. A
// one-time login link opens a session in a fresh browser, shared by its second tab, and works once.
// On a film with a VOI LUT, the viewer's "model" preset shows exactly the grey of the model's input.
// Screenshots go to .tmp/test-web/ (and to docs/ with PNEUMO_UPDATE_SCREENSHOTS=1, for the README).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import dcmjs from 'dcmjs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { decodeRle } from '../../src/data/rle.js';
import { readImage, toGray8 } from '../../src/data/image-io.js';
import { runPneumo } from '../cli/run-pneumo.js';
import { PROJECT_ROOT, SIIM_SAMPLE } from '../fixture-path.js';
import { voiLutFilm } from './lut-films.js';
import {
  auth,
  createTokenCli,
  makeServeBundle,
  startServer,
  stowOverHttp,
  waitFor,
  type ServerProcess,
} from '../serve/serve-support.js';

const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
const OUT = path.join(PROJECT_ROOT, '.tmp', 'test-web');
const root = mkdtempSync(path.join(tmpdir(), 'pneumo-web-'));
test.after(() => rmSync(root, { recursive: true, force: true }));

interface ApiItem {
  uid: string;
  studyUid: string | null;
  columns: number;
  rows: number;
  pixelSpacing: [number, number] | null;
  result: { decision: boolean; rle: string } | null;
  review: { verdict: string; note: string | null; mask: string | null; reviewer: string } | null;
}

/** The study the test names: the patient, accession, date, time and description a reader must see. */
const NAMED = {
  PatientName: 'DOE^JANE',
  PatientID: 'PID-0042',
  AccessionNumber: 'ACC-2024-0042',
  StudyDate: '20240305',
  StudyTime: '140700',
  StudyDescription: 'XR CHEST 2 VIEWS',
};

/** A SIIM file with the named study's values; with `lateral`, a second image of its study (new UID, view LL). */
function namedStudyImage(bytes: Buffer, lateral: boolean): Uint8Array {
  const { DicomMessage, DicomMetaDictionary, DicomDict } = dcmjs.data;
  const message = DicomMessage.readFile(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
  const dataset = { ...DicomMetaDictionary.naturalizeDataset(message.dict), ...NAMED };
  const meta = DicomMetaDictionary.naturalizeDataset(message.meta);
  if (lateral) {
    dataset.SOPInstanceUID = `${dataset.SOPInstanceUID}.2`;
    dataset.ViewPosition = 'LL';
    meta.MediaStorageSOPInstanceUID = dataset.SOPInstanceUID;
  }
  // The SIIM files keep their transfer syntax (JPEG baseline) and their pixel fragments as they are.
  const dict = new DicomDict(DicomMetaDictionary.denaturalizeDataset(meta));
  dict.dict = DicomMetaDictionary.denaturalizeDataset(dataset);
  return new Uint8Array(dict.write());
}

/** Grey values of the visible canvas at the given canvas positions, read in the page. */
async function canvasGreys(page: Page, points: readonly [number, number][]): Promise<number[]> {
  return page.$eval(
    'canvas.image-canvas',
    (c, at) => {
      const canvas = c as unknown as PageCanvas;
      const rgba = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
      return at.map(([x, y]) => rgba[(y * canvas.width + x) * 4]);
    },
    points,
  );
}

function saveScreenshot(name: string, png: Buffer): void {
  mkdirSync(OUT, { recursive: true });
  writeFileSync(path.join(OUT, name), png);
  if (process.env.PNEUMO_UPDATE_SCREENSHOTS === '1')
    copyFileSync(path.join(OUT, name), path.join(PROJECT_ROOT, 'docs', name));
}

/** The little of a canvas the page function below touches (the tests compile without the DOM library). */
interface PageCanvas {
  width: number;
  height: number;
  getContext(
    kind: '2d',
  ): { getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> } } | null;
}

/** Pixels of the visible canvas in the mask's colour (saturated magenta; the X-ray itself is grey), counted in the page. */
async function maskColouredPixels(page: Page): Promise<number> {
  return page.$eval('canvas.image-canvas', (c) => {
    const canvas = c as unknown as PageCanvas;
    const rgba = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
    let n = 0;
    for (let i = 0; i < rgba.length; i += 4) if (rgba[i] - rgba[i + 1] > 40 && rgba[i + 2] - rgba[i + 1] > 20) n++;
    return n;
  });
}

/** Screen position of an image pixel in the viewer, from the view transform the canvas publishes. */
async function screenOf(page: Page, x: number, y: number): Promise<{ x: number; y: number }> {
  const canvas = page.locator('canvas.image-canvas');
  const box = (await canvas.boundingBox())!;
  const zoom = Number(await canvas.getAttribute('data-zoom'));
  const panX = Number(await canvas.getAttribute('data-pan-x'));
  const panY = Number(await canvas.getAttribute('data-pan-y'));
  return { x: box.x + panX + (x + 0.5) * zoom, y: box.y + panY + (y + 0.5) * zoom };
}

test('the reading room in Chromium: worklist order, overlay, window drag, O, A, a corrected mask as RLE, N', async (t) => {
  // Where the time goes, for the suite's budget.
  const started = Date.now();
  const phase = (name: string) => t.diagnostic(`${name}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const bundle = await makeServeBundle(root);
  const store = path.join(root, 'store');
  const uploader = await createTokenCli(store, 'uploader');
  const reviewer = await createTokenCli(store, 'reviewer');
  const files = readdirSync(SIIM_SAMPLE).filter((f) => f.endsWith('.dcm'));
  const namedFile = files[0];
  const namedUid = namedFile.replace(/\.dcm$/, '');
  let server: ServerProcess | null = null;
  let browser: Browser | null = null;
  try {
    server = await startServer(['--bundle', bundle, '--store', store, '--workers', '1', '--threads', '1']);
    phase('server listening');
    const url = server.url;
    const named = readFileSync(path.join(SIIM_SAMPLE, namedFile));
    const voi = voiLutFilm(readFileSync(path.join(SIIM_SAMPLE, files[1])));
    const answer = await stowOverHttp(url, uploader, [
      ...files.filter((f) => f !== namedFile).map((f) => readFileSync(path.join(SIIM_SAMPLE, f))),
      namedStudyImage(named, false),
      namedStudyImage(named, true),
      voi.bytes,
    ]);
    assert.equal(answer.status, 200);
    const api = async <T>(route: string): Promise<T> =>
      (await (await fetch(`${url}${route}`, { headers: auth(reviewer) })).json()) as T;
    const worklist = () => api<{ items: ApiItem[] }>('/api/worklist?status=all&limit=500').then((w) => w.items);
    await waitFor('every result', async () => (await worklist()).every((i) => i.result !== null), 90_000);
    phase('results ready');
    const items = await worklist();
    assert.equal(items.length, files.length + 2);
    // One row per study, in the order of its most urgent image (the rule of web/src/study-rows.ts, written again).
    const studiesSeen = new Set<string>();
    const order: string[] = [];
    for (const item of items)
      if (!studiesSeen.has(item.studyUid ?? item.uid)) {
        studiesSeen.add(item.studyUid ?? item.uid);
        order.push(item.uid);
      }
    assert.equal(order.length, files.length + 1);

    const index = await fetch(`${url}/`);
    assert.match(index.headers.get('cache-control') ?? '', /no-cache/);
    assert.match(index.headers.get('content-security-policy') ?? '', /script-src 'self'/);
    const script = /src="\/(app-[A-Z0-9]{8}\.js)"/.exec(await index.text())?.[1];
    assert.ok(script, 'index.html names a hashed bundle');
    assert.match((await fetch(`${url}/${script}`)).headers.get('cache-control') ?? '', /max-age=31536000, immutable/);

    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
    const page = await browser.newPage({ viewport: { width: 1366, height: 800 } });
    const problems: string[] = [];
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console: ${m.text()}`);
    });
    phase('browser started');
    await page.goto(`${url}/`);
    // An uploader's token is refused: the page never shows a worklist (the API refuses it every read).
    await page.fill('#token', uploader);
    await page.press('#token', 'Enter');
    await page.waitForSelector('.login .error:has-text("refused")');
    assert.equal(await page.locator('table.worklist').count(), 0);
    assert.equal((await page.content()).includes(NAMED.PatientID), false);
    await page.fill('#token', reviewer);
    await page.press('#token', 'Enter');

    // The worklist fills, one row per study, in the service's priority order.
    const rows = page.locator('table.worklist tbody tr');
    await waitFor('the worklist rows', async () => (await rows.count()) === order.length);
    const shown = await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-uid')));
    assert.deepEqual(shown, order);
    // The named study's row identifies the patient, and its two images are one row.
    const columns = await page.$$eval('table.worklist th', (ths) => ths.map((th) => th.textContent));
    const namedRow = page.locator(`table.worklist tr[data-study="${items.find((i) => i.uid === namedUid)!.studyUid}"]`);
    const cellsOf = await namedRow.locator('td').allTextContents();
    const cell = (name: string) => cellsOf[columns.indexOf(name)];
    assert.deepEqual(['Patient', 'Patient ID', 'Accession', 'Study date', 'Description'].map(cell), [
      'DOE, JANE',
      'PID-0042',
      'ACC-2024-0042',
      '2024-03-05 14:07',
      'XR CHEST 2 VIEWS',
    ]);
    assert.match(cell('Views'), /^(PA, LL|LL, PA)$/);
    assert.match(cell('Waiting'), /^\d+ min$/);
    saveScreenshot('reading-room-worklist.png', await page.screenshot());

    // A polling refresh keeps the selected row (and the rows in place).
    await page.keyboard.press('j');
    await page.keyboard.press('j');
    const selectedUid = () => page.getAttribute('table.worklist tr.selected', 'data-uid');
    assert.equal(await selectedUid(), order[2]);
    const stamp = await page.textContent('.refreshed');
    await waitFor('a refresh', async () => (await page.textContent('.refreshed')) !== stamp, 10_000);
    assert.equal(await selectedUid(), order[2]);
    assert.equal(await rows.count(), order.length);
    await page.keyboard.press('k');
    await page.keyboard.press('k');

    phase('worklist shown');
    // J to the first positive, Enter opens it; the overlay is drawn (mask-coloured pixels on the canvas).
    const positive = order.findIndex((uid) => items.find((i) => i.uid === uid)!.result?.decision);
    assert.ok(positive >= 0, 'the tiny bundle finds at least one positive in the sample');
    for (let i = 0; i < positive; i++) await page.keyboard.press('j');
    await page.keyboard.press('Enter');
    const uid = order[positive];
    await page.waitForSelector('canvas.image-canvas[data-ready="true"]');
    assert.equal(new URL(page.url()).hash, `#/view/${uid}`);
    assert.equal(await page.textContent('.verdict-title'), 'THIS IMAGE CONTAINS PNEUMOTHORAX');
    await page.waitForSelector('canvas.image-canvas[data-overlay="on"]');
    assert.ok((await maskColouredPixels(page)) > 0, 'the mask is drawn over the image');
    assert.match((await page.textContent('.size-readout')) ?? '', /apex-cupola \d+\.\d cm \(ACCP (large|small)\)/);

    // The ruler (M): a drag of 300 image columns reads 300 x the column spacing in mm.
    const spacing = items.find((i) => i.uid === uid)!.pixelSpacing!;
    await page.keyboard.press('m');
    const rulerFrom = await screenOf(page, 200, 300);
    const rulerTo = await screenOf(page, 500, 300);
    await page.mouse.move(rulerFrom.x, rulerFrom.y);
    await page.mouse.down();
    await page.mouse.move(rulerTo.x, rulerTo.y, { steps: 4 });
    await page.mouse.up();
    const rulerMm = Number(await page.getAttribute('canvas.image-canvas', 'data-ruler-mm'));
    const viewZoom = Number(await page.getAttribute('canvas.image-canvas', 'data-zoom'));
    // The mouse lands on whole screen pixels: each end may be off by up to one screen pixel.
    assert.ok(
      Math.abs(rulerMm - 300 * spacing[1]) <= (2 / viewZoom) * spacing[1] + 1e-9,
      `ruler ${rulerMm} mm for 300 px at ${spacing[1]} mm`,
    );
    assert.equal(await page.textContent('.ruler-readout'), `ruler ${rulerMm.toFixed(1)} mm`);
    saveScreenshot('reading-room-viewer.png', await page.screenshot());
    await page.keyboard.press('w');

    phase('viewer drawn');
    // O hides the mask: no mask-coloured pixel is left.
    await page.keyboard.press('o');
    // data-overlay is set at the end of a draw, so the canvas below is the one drawn without the mask.
    await page.waitForSelector('canvas.image-canvas[data-overlay="off"]');
    assert.equal(await maskColouredPixels(page), 0);

    // A drag in the window tool changes width and centre: the canvas pixels change.
    const canvas = page.locator('canvas.image-canvas');
    const before = await canvas.screenshot();
    const box = (await canvas.boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2 - 120, box.y + box.height / 2 + 80, { steps: 5 });
    await page.mouse.up();
    const after = await canvas.screenshot();
    assert.notDeepEqual(after, before, 'the drag changed the displayed window');
    await page.keyboard.press('r');
    await page.keyboard.press('o');

    phase('window dragged');
    // A records an agreement that the API returns.
    await page.keyboard.press('a');
    await page.waitForSelector('.review-state[data-verdict="agree"]');
    const agreed = await api<ApiItem>(`/api/instances/${uid}`);
    assert.equal(agreed.review?.verdict, 'agree');
    assert.equal(agreed.review?.reviewer, 'reviewer cli');

    // A brush stroke where the model saw nothing (or the eraser inside its mask when it covers the
    // image), then D with a note: the API returns the corrected mask as SIIM RLE.
    const { columns: width, rows: height } = agreed;
    const model = decodeRle(agreed.result!.rle, width, height);
    const radius = 16;
    const freeAround = (cx: number, cy: number, value: number) => {
      for (let y = cy - radius - 12; y <= cy + radius + 12; y++)
        for (let x = cx - radius - 12; x <= cx + radius + 22; x++)
          if (model.data[y * width + x] !== value) return false;
      return true;
    };
    let spot: { x: number; y: number; value: 0 | 1 } | null = null;
    for (let cy = 80; cy < height - 80 && !spot; cy += 40)
      for (let cx = 80; cx < width - 100 && !spot; cx += 40) {
        if (freeAround(cx, cy, 0)) spot = { x: cx, y: cy, value: 1 };
        else if (freeAround(cx, cy, 1)) spot = { x: cx, y: cy, value: 0 };
      }
    assert.ok(spot, 'a spot wholly outside or wholly inside the model mask');
    await page.keyboard.press(spot.value === 1 ? 'b' : 'e');
    const from = await screenOf(page, spot.x, spot.y);
    const to = await screenOf(page, spot.x + 10, spot.y);
    await page.mouse.move(from.x, from.y);
    await page.mouse.down();
    await page.mouse.move(to.x, to.y, { steps: 4 });
    await page.mouse.up();
    await page.keyboard.press('d');
    await page.fill('#note', 'the mask misses the apex');
    await page.press('#note', 'Control+Enter');
    await page.waitForSelector('.review-state[data-verdict="disagree"]');
    const corrected = await api<ApiItem>(`/api/instances/${uid}`);
    assert.equal(corrected.review?.verdict, 'disagree');
    assert.equal(corrected.review?.note, 'the mask misses the apex');
    const drawn = decodeRle(corrected.review!.mask!, width, height);
    let underStroke = 0;
    const wrong: string[] = [];
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++) {
        const i = y * width + x;
        const d = Math.min(Math.hypot(x - spot.x, y - spot.y), Math.hypot(x - spot.x - 10, y - spot.y));
        if (d <= radius - 2) {
          underStroke++;
          if (drawn.data[i] !== spot.value) wrong.push(`(${x}, ${y}) under the stroke`);
        } else if (d > radius + 2 && drawn.data[i] !== model.data[i]) wrong.push(`(${x}, ${y}) away from the stroke`);
      }
    assert.deepEqual(wrong.slice(0, 5), []);
    assert.ok(underStroke > 500);

    phase('correction saved');
    // The corrected mask comes back into the viewer after a reload, pixel for pixel.
    let area = 0;
    for (const v of drawn.data) area += v;
    await page.reload();
    await page.waitForSelector('canvas.image-canvas[data-ready="true"]');
    assert.equal(await page.textContent('.mask-state'), `the reviewer's mask, ${area} px`);

    // N opens the next study in the worklist order.
    await page.keyboard.press('n');
    const next = order[order.indexOf(uid) + 1];
    await page.waitForURL((u) => u.hash === `#/view/${next}`);
    await page.waitForSelector('canvas.image-canvas[data-ready="true"]');
    phase('next study shown');

    // A one-time login link: a fresh browser opens it and signs in without a token; a second tab of that
    // browser shares the session; the same link refuses a second browser.
    const created = runPneumo([
      'serve',
      'token',
      'create',
      '--role',
      'reviewer',
      '--label',
      'reading room 3',
      '--store',
      store,
      '--login-url',
      url,
      '--json',
    ]);
    assert.equal(created.status, 0, created.stderr);
    const loginUrl = (JSON.parse(created.stdout) as { loginUrl: string }).loginUrl;
    assert.ok(loginUrl.startsWith(`${url}/#/login/pneumo_login_`));
    const roomPc = await browser.newContext({ viewport: { width: 1366, height: 800 } });
    const tab = await roomPc.newPage();
    await tab.goto(loginUrl);
    await tab.waitForSelector('table.worklist tbody tr');
    assert.equal(new URL(tab.url()).hash, '#/', 'the spent code leaves the address bar');
    const secondTab = await roomPc.newPage();
    await secondTab.goto(`${url}/#/view/${uid}`);
    await secondTab.waitForSelector('canvas.image-canvas[data-ready="true"]');
    const other = await browser.newContext();
    const refused = await other.newPage();
    await refused.goto(loginUrl);
    await refused.waitForSelector('.login .error:has-text("did not open a session")');
    assert.equal(await refused.locator('table.worklist').count(), 0);
    await roomPc.close();
    await other.close();
    phase('login link checked');

    // The "model" preset (4) on a film with a VOI LUT: every visible image pixel has the grey of the
    // model's input (the contract's display step, 8-bit), where the file's linear window does not.
    const voiFile = path.join(root, 'voi-lut.dcm');
    writeFileSync(voiFile, voi.bytes);
    const modelGrey = toGray8(await readImage(voiFile));
    await page.goto(`${url}/#/view/${voi.uid}`);
    await page.waitForSelector('canvas.image-canvas[data-ready="true"]');
    if ((await page.getAttribute('canvas.image-canvas', 'data-overlay')) === 'on') await page.keyboard.press('o');
    // Zoomed to 2x or more the canvas samples image pixels without smoothing, so a pixel centre is exact.
    for (let i = 0; i < 12 && Number(await page.getAttribute('canvas.image-canvas', 'data-zoom')) < 2; i++)
      await page.keyboard.press('+');
    const sampleGreys = async () => {
      const c = page.locator('canvas.image-canvas');
      const { width, height } = (await c.boundingBox())!;
      const zoom = Number(await c.getAttribute('data-zoom'));
      const panX = Number(await c.getAttribute('data-pan-x'));
      const panY = Number(await c.getAttribute('data-pan-y'));
      const points: [number, number][] = [];
      const pixels: number[] = [];
      // A 40 x 40 grid of image pixels over the part of the film the canvas shows.
      const [x0, x1] = [Math.max(0, Math.ceil(-panX / zoom)), Math.min(1024, Math.floor((width - panX) / zoom))];
      const [y0, y1] = [Math.max(0, Math.ceil(-panY / zoom)), Math.min(1024, Math.floor((height - panY) / zoom))];
      for (let gy = 0; gy < 40; gy++)
        for (let gx = 0; gx < 40; gx++) {
          const x = Math.min(x1 - 1, x0 + Math.floor(((x1 - x0) * (gx + 0.5)) / 40));
          const y = Math.min(y1 - 1, y0 + Math.floor(((y1 - y0) * (gy + 0.5)) / 40));
          const sx = Math.floor(panX + (x + 0.5) * zoom);
          const sy = Math.floor(panY + (y + 0.5) * zoom);
          if (sx < 0 || sy < 0 || sx >= width || sy >= height) continue;
          points.push([sx, sy]);
          pixels.push(y * 1024 + x);
        }
      return { shown: await canvasGreys(page, points), expected: pixels.map((i) => modelGrey[i]) };
    };
    await page.keyboard.press('4');
    await page.waitForSelector('canvas.image-canvas[data-rendering="model"][data-overlay="off"]');
    const modelView = await sampleGreys();
    assert.ok(modelView.shown.length > 1000, `${modelView.shown.length} pixels compared`);
    assert.deepEqual(modelView.shown, modelView.expected, "the model preset shows the model input's grey");
    await page.keyboard.press('1');
    await page.waitForSelector('canvas.image-canvas[data-rendering="window"]');
    const windowed = await sampleGreys();
    const differing = windowed.shown.filter((g, i) => Math.abs(g - windowed.expected[i]) > 2).length;
    assert.ok(differing > windowed.shown.length / 4, `the linear window differs on ${differing} pixels`);
    phase('model preset checked');
    assert.deepEqual(problems, [], 'no page errors and no CSP violations');
  } finally {
    await browser?.close();
    phase('browser closed');
    if (server) {
      const stopping = Date.now();
      server.child.kill('SIGTERM');
      await server.exited;
      phase('service stopped');
      // A slow stop names its step in the service log.
      if (Date.now() - stopping > 5000)
        for (const line of server
          .output()
          .split('\n')
          .filter((l) => l.includes('shutdown')))
          t.diagnostic(line);
    }
  }
});
