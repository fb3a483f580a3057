// Every error answer of the service is {error, message} (docs/serve.md), STOW-RS refusals included
// (they used to be `{}`), and a STOW-RS answer carries PS3.18's Store Instances Response: the kept
// instances in Referenced SOP Sequence (0008,1199), the refused ones in Failed SOP Sequence
// (0008,1198), each with the Failure Reason (0008,1197) of PS3.18 Table I.2-2, so a PACS logs why.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { InjectOptions } from 'fastify';
import { buildApp, type BuiltApp } from '../../src/serve/app.js';
import { createToken } from '../../src/serve/auth/tokens.js';
import { fixture } from '../fixture-path.js';
import { auth, makeServeBundle, smallDicom, stowBody, SMALL_FILM_GATE } from './serve-support.js';

const root = mkdtempSync(path.join(tmpdir(), 'pneumo-serve-errors-'));
let built: BuiltApp;
const tokens: Record<'uploader' | 'reviewer', string> = { uploader: '', reviewer: '' };
const SIIM_FILE = fixture('siim-sample', '1.2.276.0.7230010.3.1.4.8323329.1000.1517875165.878027.dcm');
const SIIM_UID = '1.2.276.0.7230010.3.1.4.8323329.1000.1517875165.878027';
const SECONDARY_CAPTURE = '1.2.840.10008.5.1.4.1.1.7';

test.before(async () => {
  const bundleDir = await makeServeBundle(root);
  built = await buildApp({
    gate: SMALL_FILM_GATE,
    bundleDir,
    storeDir: path.join(root, 'store'),
    threadsPerWorker: 1,
    maxUploadBytes: 256 * 1024,
    logger: false,
    webDist: null,
  });
  // Nothing here needs a result: without workers nothing loads the engine.
  await built.runner.close();
  for (const role of ['uploader', 'reviewer'] as const)
    tokens[role] = (await createToken(built.ctx.store, role, `test ${role}`, Date.now())).token;
});
test.after(async () => {
  await built.app.close();
  rmSync(root, { recursive: true, force: true });
});

const inject = (options: InjectOptions) => built.app.inject(options);

function stow(payload: Buffer, contentType: string, token: string | null = tokens.uploader, accept?: string) {
  return inject({
    method: 'POST',
    url: '/dicom-web/studies',
    payload,
    headers: {
      ...(token ? auth(token) : {}),
      'content-type': contentType,
      ...(accept ? { accept } : {}),
    },
  });
}

function expectError(answer: { statusCode: number; json(): unknown }, status: number, error: string, message: RegExp) {
  assert.equal(answer.statusCode, status);
  const body = answer.json() as { error?: unknown; message?: unknown };
  assert.equal(body.error, error, JSON.stringify(body));
  assert.equal(typeof body.message, 'string');
  assert.match(body.message as string, message);
}

type DicomJson = Record<string, { vr: string; Value?: Record<string, { vr: string; Value?: unknown[] }>[] }>;

/** [SOP Instance UID, SOP Class UID, Failure Reason] of each Failed SOP Sequence item. */
function failedItems(json: DicomJson): [unknown, unknown, unknown][] {
  return (json['00081198']?.Value ?? []).map((item) => [
    item['00081155'].Value?.[0] ?? null,
    item['00081150'].Value?.[0] ?? null,
    item['00081197'].Value?.[0],
  ]);
}

test('STOW-RS refusals of the whole request: 401, 403, 413, 415 and a malformed body carry {error, message}', async () => {
  const { body, contentType } = stowBody([await smallDicom('1.2.826.0.1.77.1')]);
  expectError(await stow(body, contentType, null), 401, 'Unauthorized', /a bearer token is required/);
  expectError(await stow(body, contentType, 'pneumo_forged'), 401, 'Unauthorized', /unknown or revoked/);
  expectError(await stow(body, contentType, tokens.reviewer), 403, 'Forbidden', /the reviewer role may not upload/);
  expectError(await stow(Buffer.alloc(256 * 1024 + 1), contentType), 413, 'Payload Too Large', /too large/i);
  expectError(
    await stow(Buffer.from('plain text'), 'text/plain'),
    415,
    'Unsupported Media Type',
    /Content-Type text\/plain: send multipart\/related or application\/dicom/,
  );
  expectError(
    await stow(body, 'multipart/related; type="image/jpeg"; boundary=x'),
    415,
    'Unsupported Media Type',
    /multipart\/related of image\/jpeg/,
  );
  expectError(await stow(body, 'multipart/related; type="application/dicom"'), 400, 'Bad Request', /boundary/);
  expectError(
    await stow(Buffer.from('--nope\r\nno end'), 'multipart/related; type="application/dicom"; boundary=nope'),
    400,
    'Bad Request',
    /./,
  );
});

test('other routes: a bad UID, an unknown route and a missing instance are {error, message} with a named error', async () => {
  expectError(await inject({ url: '/api/instances/1.2.abc', headers: auth(tokens.reviewer) }), 400, 'Bad Request', /./);
  expectError(
    await inject({ url: '/api/instances/1.2.3.4', headers: auth(tokens.reviewer) }),
    404,
    'Not Found',
    /1\.2\.3\.4/,
  );
  expectError(await inject({ url: '/api/nowhere', headers: auth(tokens.reviewer) }), 404, 'Not Found', /nowhere/);
  const ready = await inject({ url: '/ready' });
  expectError(ready, 503, 'Service Unavailable', /inference worker/);
  assert.equal((ready.json() as { status: string }).status, 'not ready', 'the probes still read status');
});

test('STOW-RS per instance: Failed SOP Sequence with a Failure Reason each, Referenced SOP Sequence with Retrieve URLs', async () => {
  const good = await smallDicom('1.2.826.0.1.77.2');
  const siim = readFileSync(SIIM_FILE);
  const truncated = siim.subarray(0, siim.length - 5000);
  // The transfer syntax rewritten to one pneumo does not decode (HTJ2K, cut to the same length).
  const unsupported = Buffer.from(await smallDicom('1.2.826.0.1.77.3'));
  const at = unsupported.toString('latin1').indexOf('1.2.840.10008.1.2.1\0');
  unsupported.write('1.2.840.10008.1.2.4.', at, 'latin1');
  const colour = readFileSync(fixture('dicom', 'pydicom', 'SC_rgb_small_odd.dcm'));
  const parts = [good, Buffer.from('not an X-ray'), truncated, unsupported, colour];
  const { body, contentType } = stowBody(parts);
  const answer = await stow(body, contentType);
  assert.equal(answer.statusCode, 202, answer.body);
  const json = answer.json() as DicomJson & {
    stored: number;
    rejected: number;
    instances: { status: string; statusCode?: number; failureReason?: number; sopInstanceUid: string | null }[];
  };
  assert.deepEqual([json.stored, json.rejected], [1, 4]);
  assert.deepEqual(
    json.instances.map((i) => [i.status, i.statusCode ?? null, i.failureReason ?? null]),
    [
      ['stored', null, null],
      ['rejected', 400, 0xc000],
      ['rejected', 400, 0xc000],
      ['rejected', 422, 0xc122],
      ['rejected', 422, 0x0110],
    ],
  );
  const colourUid = failedItems(json)[3][0];
  assert.deepEqual(failedItems(json), [
    [null, null, 0xc000],
    [SIIM_UID, SECONDARY_CAPTURE, 0xc000],
    ['1.2.826.0.1.77.3', SECONDARY_CAPTURE, 0xc122],
    [colourUid, SECONDARY_CAPTURE, 0x0110],
  ]);
  assert.match(String(colourUid), /^[\d.]+$/, 'the colour image is sound DICOM: its UID is reported');
  const referenced = json['00081199'].Value!;
  assert.equal(referenced.length, 1);
  assert.deepEqual(referenced[0]['00081155'], { vr: 'UI', Value: ['1.2.826.0.1.77.2'] });
  assert.equal(referenced[0]['00081190'].vr, 'UR');
  assert.match(String(referenced[0]['00081190'].Value![0]), /^http:\/\/[^/]+\/api\/instances\/1\.2\.826\.0\.1\.77\.2$/);

  // Asked for DICOM JSON, the answer is the Store Instances Response alone.
  const again = stowBody([good, Buffer.from('still not an X-ray')]);
  const strict = await stow(again.body, again.contentType, tokens.uploader, 'application/dicom+json');
  assert.equal(strict.statusCode, 202);
  assert.match(String(strict.headers['content-type']), /^application\/dicom\+json/);
  const dataSet = strict.json() as DicomJson;
  assert.deepEqual(Object.keys(dataSet).sort(), ['00081198', '00081199']);
  assert.deepEqual(failedItems(dataSet), [[null, null, 0xc000]]);
  assert.deepEqual(dataSet['00081199'].Value![0]['00081155'].Value, ['1.2.826.0.1.77.2'], 'a duplicate is kept');

  // Every instance refused: the first one's status, and the body still says why for each.
  const none = stowBody([truncated]);
  const refused = await stow(none.body, none.contentType);
  assert.equal(refused.statusCode, 400);
  assert.deepEqual(failedItems(refused.json() as DicomJson), [[SIIM_UID, SECONDARY_CAPTURE, 0xc000]]);
  assert.equal((refused.json() as DicomJson)['00081199'], undefined);
});
