// The service through inject(): security cases, STOW-RS, results against the predictor run in this
// process, pixels, the worklist order under a clock the test moves, reviews and their export, metrics.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import type { InjectOptions } from 'fastify';
import { buildApp, type BuiltApp } from '../../src/serve/app.js';
import { createToken } from '../../src/serve/auth/tokens.js';
import { createLoginLink } from '../../src/serve/auth/login-links.js';
import { Predictor } from '../../src/pipeline/predictor.js';
import { readImage } from '../../src/data/image-io.js';
import { decodeRle } from '../../src/data/rle.js';
import { fixture } from '../fixture-path.js';
import { writeOperatingPoints } from '../pipeline/operating-points-fixture.js';
import { auth, makeServeBundle, PHI, smallDicom, stowBody, waitFor, SMALL_FILM_GATE } from './serve-support.js';

const root = mkdtempSync(path.join(tmpdir(), 'pneumo-serve-api-'));
const MINUTE = 60_000;
let now = Date.UTC(2026, 0, 1, 8, 0, 0);
let built: BuiltApp;
let bundleDir: string;
const tokens: Record<'uploader' | 'reviewer' | 'admin', string> = { uploader: '', reviewer: '', admin: '' };

test.before(async () => {
  bundleDir = await makeServeBundle(root);
  // A siim point that flags nothing beside the triage point that segments every image: the service
  // must decide at triage unless told otherwise.
  await writeOperatingPoints(
    bundleDir,
    { classifier: 1, pixel: 0.9, minArea: 500 },
    { classifier: 0, pixel: 0.5, minArea: 0 },
  );
  built = await buildApp({
    gate: SMALL_FILM_GATE,
    bundleDir,
    storeDir: path.join(root, 'store'),
    clock: () => now,
    threadsPerWorker: 1,
    maxUploadBytes: 1024 * 1024,
    escalateAfterMinutes: 60,
    logger: false,
    webDist: null,
  });
  for (const role of ['uploader', 'reviewer', 'admin'] as const)
    tokens[role] = (await createToken(built.ctx.store, role, `test ${role}`, now)).token;
});
test.after(async () => {
  await built.app.close();
  rmSync(root, { recursive: true, force: true });
});

const inject = (options: InjectOptions) => built.app.inject(options);

async function upload(instances: Uint8Array[], token = tokens.uploader) {
  const { body, contentType } = stowBody(instances);
  return inject({
    method: 'POST',
    url: '/dicom-web/studies',
    payload: body,
    headers: { ...auth(token), 'content-type': contentType },
  });
}

async function instance(uid: string) {
  return (await inject({ url: `/api/instances/${uid}`, headers: auth(tokens.reviewer) })).json();
}

const storedFiles = () => readdirSync(path.join(root, 'store', 'instances')).filter((f) => f.endsWith('.dcm'));

test('health is public; ready once a worker has loaded the bundle; security headers on every answer', async () => {
  const health = await inject({ url: '/health' });
  assert.equal(health.statusCode, 200);
  assert.equal(health.headers['x-content-type-options'], 'nosniff');
  assert.equal(health.headers['x-frame-options'], 'DENY');
  const csp = String(health.headers['content-security-policy']);
  assert.match(csp, /script-src 'self'/);
  assert.match(csp, /frame-ancestors 'none'/);
  assert.doesNotMatch(csp, /unsafe-inline/);
  assert.equal(health.headers['access-control-allow-origin'], undefined, 'CORS is off');
  await waitFor('readiness', async () => (await inject({ url: '/ready' })).statusCode === 200);
});

test('security: no token 401, wrong role 403, traversal 400, oversize 413, corrupt DICOM 400 with nothing stored', async () => {
  const dicom = await smallDicom('1.2.826.0.1.99.1');
  const noToken = await inject({ url: '/api/worklist' });
  assert.equal(noToken.statusCode, 401);
  assert.match(String(noToken.headers['www-authenticate']), /^Bearer/);
  assert.equal((await inject({ url: '/api/worklist', headers: auth('pneumo_forged') })).statusCode, 401);
  assert.equal(
    (await inject({ url: '/api/worklist', headers: auth(tokens.uploader) })).statusCode,
    403,
    'uploaders cannot read',
  );
  assert.equal((await upload([dicom], tokens.reviewer)).statusCode, 403, 'reviewers cannot upload');
  assert.equal((await inject({ url: '/metrics', headers: auth(tokens.reviewer) })).statusCode, 403);
  for (const bad of ['..%2F..%2Fetc%2Fpasswd', '1.2.3%2F..', '1.2.abc', '1'.repeat(65), '.1.2'])
    assert.equal((await inject({ url: `/api/instances/${bad}`, headers: auth(tokens.reviewer) })).statusCode, 400, bad);
  const big = await upload([Buffer.alloc(1024 * 1024 + 1)]);
  assert.equal(big.statusCode, 413);
  const siim = readFileSync(fixture('siim-sample', '1.2.276.0.7230010.3.1.4.8323329.1000.1517875165.878027.dcm'));
  const truncated = await upload([siim.subarray(0, siim.length - 5000)]);
  assert.equal(truncated.statusCode, 400);
  assert.match(truncated.json().instances[0].reason, /overrun|short|truncated/i);
  const notDicom = await upload([Buffer.from('hello, this is not an X-ray')]);
  assert.equal(notDicom.statusCode, 400);
  assert.match(notDicom.json().instances[0].reason, /not DICOM/);
  const single = await inject({
    method: 'POST',
    url: '/dicom-web/studies',
    payload: Buffer.from('plain text'),
    headers: { ...auth(tokens.uploader), 'content-type': 'text/plain' },
  });
  assert.equal(single.statusCode, 415);
  assert.deepEqual(storedFiles(), [], 'nothing stored');
  const all = await inject({ url: '/api/worklist?status=all', headers: auth(tokens.admin) });
  assert.deepEqual(all.json().items, []);
});

test('STOW-RS: several instances per request, a single application/dicom body, duplicates stored once; results match the predictor', async () => {
  const siimFile = fixture('siim-sample', '1.2.276.0.7230010.3.1.4.8323329.12743.1517875241.599591.dcm');
  const siimUid = '1.2.276.0.7230010.3.1.4.8323329.12743.1517875241.599591';
  const small = await smallDicom('1.2.826.0.1.99.2');
  const first = await upload([readFileSync(siimFile), small]);
  assert.equal(first.statusCode, 200, first.body);
  assert.deepEqual(
    first.json().instances.map((i: { status: string; sopInstanceUid: string }) => [i.status, i.sopInstanceUid]),
    [
      ['stored', siimUid],
      ['stored', '1.2.826.0.1.99.2'],
    ],
  );
  const again = await inject({
    method: 'POST',
    url: '/dicom-web/studies',
    payload: small,
    headers: { ...auth(tokens.uploader), 'content-type': 'application/dicom' },
  });
  assert.equal(again.statusCode, 200);
  assert.equal(again.json().instances[0].status, 'duplicate');
  assert.equal(storedFiles().length, 2);

  const done = await waitFor('both results', async () => {
    const [a, b] = await Promise.all([instance(siimUid), instance('1.2.826.0.1.99.2')]);
    return a.result && b.result ? { a, b } : null;
  });
  const predictor = await Predictor.load(bundleDir, { threads: 1 });
  const [expected] = predictor.predict([await readImage(siimFile)]);
  predictor.dispose();
  const { a } = done;
  assert.equal(a.state, 'done');
  assert.ok(
    Math.abs(a.result.probability - expected.probability) < 1e-5,
    `${a.result.probability} vs ${expected.probability}`,
  );
  assert.equal(a.result.rle, expected.rle);
  // A bundle without a calibration: the probability shown is the model's own, and says so.
  assert.equal(a.result.calibrated, false);
  assert.equal(a.result.probabilityUncalibrated, a.result.probability);
  assert.equal(a.result.area.pixels, expected.area);
  assert.ok(Math.abs(a.result.area.cm2 - (expected.area * 0.194311 * 0.194311) / 100) < 1e-9);
  // The triage point's thresholds, not the bundle's `thresholds` (its siim point).
  assert.deepEqual(a.result.thresholds, { classifier: 0, pixel: 0.5, minArea: 0 });
  assert.match(a.result.bundle.id, /^[0-9a-f]{16}$/);
  assert.equal(a.patient.id !== null, true, 'identifying fields are served to reviewers');
  for (const key of ['read', 'classify', 'segment', 'queueWait', 'inference'])
    assert.equal(typeof a.result.timingsMs[key], 'number', key);

  const overlay = await inject({ url: a.result.overlayUrl, headers: auth(tokens.reviewer) });
  assert.equal(overlay.headers['content-type'], 'image/png');
  const { width, height } = await sharp(overlay.rawPayload).metadata();
  assert.equal(width, 1024);
  assert.ok(height! > 1024, 'the title band is added above the 1024-row film');
  if (a.result.decision) assert.ok(a.result.size, 'a positive with pixel spacing has its size measured');
  if (a.result.decision) {
    const mask = await inject({ url: a.result.maskUrl, headers: auth(tokens.reviewer) });
    const data = await sharp(mask.rawPayload).extractChannel(0).raw().toBuffer();
    const decoded = decodeRle(a.result.rle, 1024, 1024);
    let same = 0;
    for (let i = 0; i < decoded.data.length; i++) if ((data[i] > 127 ? 1 : 0) === decoded.data[i]) same++;
    assert.equal(same, decoded.data.length, 'mask.png is the RLE mask');
  }
  // Pixels: the stored 8-bit values, row-major, as the DICOM holds them.
  const pixels = await inject({ url: '/api/instances/1.2.826.0.1.99.2/pixels', headers: auth(tokens.reviewer) });
  assert.equal(pixels.headers['x-sample-type'], 'uint8');
  assert.equal(pixels.headers['x-pixel-columns'], '96');
  assert.equal(pixels.headers['x-photometric-interpretation'], 'MONOCHROME2');
  const expectedPixels = new Uint8Array(96 * 96);
  for (let i = 0; i < expectedPixels.length; i++) expectedPixels[i] = (i * 31 + 17 + ((i / 96) | 0) * 7) & 0xff;
  assert.deepEqual(new Uint8Array(pixels.rawPayload), expectedPixels);
});

interface WorklistItem {
  uid: string;
  escalated: boolean;
  receivedAt: string;
  result: { probability: number; decision: boolean; rle: string; size: { large: boolean } | null } | null;
}

async function worklist(query = ''): Promise<WorklistItem[]> {
  const answer = await inject({ url: `/api/worklist${query}`, headers: auth(tokens.reviewer) });
  assert.equal(answer.statusCode, 200, answer.body);
  return answer.json().items;
}

/** The documented rule, written independently of the SQL: tier, then key, then arrival, then UID. */
function expectedOrder(items: WorklistItem[], at: number): string[] {
  const key = (i: WorklistItem) => {
    const received = Date.parse(i.receivedAt);
    if (received <= at - 60 * MINUTE) return [0, received, 0];
    const tier = i.result?.decision ? (i.result.size?.large ? 1 : 2) : 3;
    return [tier, -(i.result?.probability ?? -1), received];
  };
  return [...items]
    .sort((a, b) => {
      const [ka, kb] = [key(a), key(b)];
      for (let k = 0; k < 3; k++) if (ka[k] !== kb[k]) return ka[k] - kb[k];
      return a.uid < b.uid ? -1 : 1;
    })
    .map((i) => i.uid);
}

test('worklist: sorted by the model until an instance waits past the limit, then oldest first; cursor pages agree', async () => {
  const start = now;
  now = start + 10 * MINUTE;
  assert.equal((await upload([await smallDicom('1.2.826.0.1.99.3', 96, 3)])).statusCode, 200);
  now = start + 20 * MINUTE;
  assert.equal((await upload([await smallDicom('1.2.826.0.1.99.4', 96, 4)])).statusCode, 200);
  await waitFor('all results', async () => (await worklist('?status=pending')).length === 0);
  for (const [minutes, escalated] of [
    [30, 0],
    [65, 2],
    [75, 3],
  ] as const) {
    now = start + minutes * MINUTE;
    const items = await worklist();
    assert.equal(items.length, 4);
    assert.deepEqual(
      items.map((i) => i.uid),
      expectedOrder(items, now),
      `at ${minutes} minutes`,
    );
    assert.equal(items.filter((i) => i.escalated).length, escalated, `escalated at ${minutes} minutes`);
    assert.ok(
      items.slice(0, escalated).every((i) => i.escalated),
      'the overdue instances come first',
    );
    // Walking page by page gives the same order, even when the clock moves between pages.
    const paged: string[] = [];
    let cursor: string | null = null;
    do {
      const answer = await inject({
        url: `/api/worklist?limit=1${cursor ? `&cursor=${cursor}` : ''}`,
        headers: auth(tokens.reviewer),
      });
      const page = answer.json();
      paged.push(...page.items.map((i: WorklistItem) => i.uid));
      cursor = page.nextCursor;
      now += 7 * MINUTE;
    } while (cursor);
    now = start + minutes * MINUTE;
    assert.deepEqual(
      paged,
      items.map((i) => i.uid),
    );
  }
  assert.equal((await inject({ url: '/api/worklist?cursor=bm9wZQ', headers: auth(tokens.reviewer) })).statusCode, 400);
});

test('identity is for reviewers and admins only; opening an instance is audited; a login link opens a cookie session once', async () => {
  const uid = '1.2.826.0.1.99.2';
  // The uploader never receives the patient's identity: every read route refuses it, STOW answers carry none.
  for (const url of ['/api/worklist?status=all', `/api/instances/${uid}`, '/api/audit'])
    assert.equal((await inject({ url, headers: auth(tokens.uploader) })).statusCode, 403, url);
  const stow = await upload([await smallDicom(uid)]);
  assert.equal(stow.body.includes(PHI.patientId), false, 'no patient ID in the STOW answer');
  const mine = await inject({ url: '/api/session', headers: auth(tokens.uploader) });
  assert.deepEqual(mine.json(), {
    signedIn: true,
    role: 'uploader',
    label: 'test uploader',
    via: 'bearer',
    expiresAt: null,
  });
  assert.deepEqual((await inject({ url: '/api/session' })).json(), { signedIn: false, tried: null });
  // A reviewer sees it, and the opening is in the audit log.
  const seen = await inject({ url: `/api/instances/${uid}`, headers: auth(tokens.reviewer) });
  assert.equal(seen.json().patient.id, PHI.patientId);
  const audit = await inject({ url: '/api/audit?limit=5', headers: auth(tokens.admin) });
  assert.deepEqual(audit.json()[0], {
    ...audit.json()[0],
    actor: 'test reviewer',
    role: 'reviewer',
    action: 'open',
    instanceUid: uid,
    studyUid: `${uid}.1`,
  });
  // A login link: its code opens a session cookie once; the cookie reads like the token until it expires.
  const reviewer = (await built.ctx.store.listTokens()).find((t) => t.label === 'test reviewer')!;
  const link = await createLoginLink(built.ctx.store, reviewer.id, 'http://127.0.0.1:8080', now, 30 * MINUTE);
  const code = link.url.split('/').at(-1)!;
  const opened = await inject({ method: 'POST', url: '/api/session', payload: { code } });
  assert.equal(opened.statusCode, 201, opened.body);
  const setCookie = String(opened.headers['set-cookie']);
  assert.match(
    setCookie,
    /^pneumo_session=pneumo_session_[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=1800$/,
  );
  const cookie = setCookie.split(';')[0];
  const again = await inject({ method: 'POST', url: '/api/session', payload: { code } });
  assert.equal(again.statusCode, 401);
  assert.match(again.json().message, /used already/);
  const viaCookie = await inject({ url: `/api/instances/${uid}`, headers: { cookie } });
  assert.equal(viaCookie.statusCode, 200);
  assert.equal((await inject({ url: '/api/session', headers: { cookie } })).json().via, 'cookie');
  now += 31 * MINUTE;
  const expired = await inject({ url: '/api/worklist', headers: { cookie } });
  assert.equal(expired.statusCode, 401);
  assert.match(expired.json().message, /session has expired/);
  now -= 31 * MINUTE;
  const ended = await inject({ method: 'DELETE', url: '/api/session', headers: { cookie } });
  assert.match(String(ended.headers['set-cookie']), /Max-Age=0/);
  assert.equal((await inject({ url: '/api/worklist', headers: { cookie } })).statusCode, 401, 'ended by log-out');
});

test('reviews: agree and disagree with a corrected mask; reviews.csv and the hard-example list follow the rule', async () => {
  const x = await instance('1.2.826.0.1.99.3');
  const y = await instance('1.2.826.0.1.99.4');
  const review = (uid: string, body: object, token = tokens.reviewer) =>
    inject({ method: 'POST', url: `/api/instances/${uid}/review`, payload: body, headers: auth(token) });
  assert.equal((await review(x.uid, { verdict: 'agree' }, tokens.uploader)).statusCode, 403);
  assert.equal((await review(x.uid, { verdict: 'maybe' })).statusCode, 400);
  assert.equal((await review(x.uid, { verdict: 'agree', mask: '9300 5' })).statusCode, 400, 'a run past the image');
  const agreed = await review(x.uid, { verdict: 'agree', note: 'fine' });
  assert.equal(agreed.statusCode, 200, agreed.body);
  assert.equal(agreed.json().reviewer, 'test reviewer');
  // A 4x4 square at column 10, rows 20..23 of the 96x96 image, in SIIM RLE (column-major runs).
  const drawn = Array.from({ length: 4 }, (_, k) => [k === 0 ? 10 * 96 + 20 : 92, 4])
    .flat()
    .join(' ');
  assert.equal((await review(y.uid, { verdict: 'disagree', mask: drawn })).statusCode, 200);
  assert.equal((await instance(y.uid)).review.mask, drawn);
  assert.deepEqual(
    (await worklist()).map((i) => i.uid).filter((uid) => uid === x.uid || uid === y.uid),
    [],
    'reviewed instances leave the unreviewed list',
  );
  assert.equal((await worklist('?status=reviewed')).length, 2);
  const csv = await inject({ url: '/api/reviews.csv', headers: auth(tokens.reviewer) });
  assert.equal(csv.headers['content-type'], 'text/csv; charset=utf-8');
  assert.equal(csv.body, `ImageId,EncodedPixels\n${x.uid},${x.result.rle}\n${y.uid},${drawn}\n`);
  const hard = await inject({ url: '/api/reviews/hard-examples.csv', headers: auth(tokens.reviewer) });
  const reason = y.result.decision ? 'review-mask-corrected' : 'review-false-negative';
  assert.equal(hard.body, `ImageId,reason,score\n${y.uid},${reason},${Number(y.result.probability.toFixed(6))}\n`);
});

test('metrics: queue depth, inference seconds and requests by route in Prometheus text', async () => {
  const answer = await inject({ url: '/metrics', headers: auth(tokens.admin) });
  assert.equal(answer.statusCode, 200);
  const text = answer.body;
  assert.match(text, /^pneumo_queue_depth 0$/m);
  assert.match(text, /^pneumo_inference_seconds_count 4$/m);
  assert.match(text, /^pneumo_http_requests_total\{route="\/dicom-web\/studies",method="POST",status="200"\} \d+$/m);
  assert.match(text, /^pneumo_nodejs_eventloop_lag_p99_seconds /m);
});

test('a full queue answers 503 with Retry-After and stores nothing of that request', async () => {
  const other = await buildApp({
    gate: SMALL_FILM_GATE,
    bundleDir,
    storeDir: path.join(root, 'store-full'),
    queueLimit: 2,
    threadsPerWorker: 1,
    logger: false,
    webDist: null,
  });
  try {
    await other.runner.close(); // no worker: the queue only grows
    const admin = (await createToken(other.ctx.store, 'admin', 'a', now)).token;
    const send = async (uids: string[]) => {
      const { body, contentType } = stowBody(await Promise.all(uids.map((u) => smallDicom(u))));
      return other.app.inject({
        method: 'POST',
        url: '/dicom-web/studies',
        payload: body,
        headers: { ...auth(admin), 'content-type': contentType },
      });
    };
    assert.equal((await send(['1.2.9.1', '1.2.9.2'])).statusCode, 200);
    const refused = await send(['1.2.9.3']);
    assert.equal(refused.statusCode, 503);
    assert.match(String(refused.headers['retry-after']), /^\d+$/);
    assert.equal(await other.ctx.store.hasInstance('1.2.9.3'), false);
    assert.equal(await other.ctx.store.queueDepth(), 2);
  } finally {
    await other.app.close();
  }
});

test('the input gate: a CT slice over STOW-RS becomes a not-assessed worklist row, in its own filter, with no finding', async () => {
  const ctFile = fixture('dicom', 'pydicom', 'CT_small.dcm');
  const stored = await upload([readFileSync(ctFile)]);
  assert.equal(stored.statusCode, 200, stored.body);
  const uid = stored.json().instances[0].sopInstanceUid as string;
  const done = await waitFor('the CT result', async () => {
    const i = await instance(uid);
    return i.result ? i : null;
  });
  assert.equal(done.state, 'done', 'refused by the gate is not a failed job');
  assert.equal(done.result.status, 'not-assessed');
  assert.ok(done.result.gate.reasons.includes('modality:CT'), done.result.gate.reasons.join());
  assert.match(done.result.notAssessed, /^not assessed: CT, not a radiograph/);
  assert.equal(done.result.probability, null, 'no probability is handed out for it');
  assert.equal(done.result.decision, null);
  assert.equal(done.result.maskUrl, null);
  const list = async (status: string) =>
    (await inject({ url: `/api/worklist?status=${status}`, headers: auth(tokens.reviewer) })).json().items as {
      uid: string;
    }[];
  assert.deepEqual(
    (await list('not-assessed')).map((i) => i.uid),
    [uid],
  );
  assert.equal(
    (await list('unreviewed')).some((i) => i.uid === uid),
    false,
    'not among the assessed results',
  );
  assert.ok((await list('all')).some((i) => i.uid === uid));
});
