import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { decodeRle } from '../../src/data/rle.js';
import type { PredictionRecord } from '../../src/pipeline/predict-files.js';
import { DicomwebClient, DicomwebError } from '../../src/interop/dicomweb/client.js';
import { jsonString, TAGS } from '../../src/interop/dicomweb/dicom-json.js';
import { FolderDeadLetters } from '../../src/interop/dicomweb/folder-dead-letters.js';
import { forwardBatch, resendDeadLetters } from '../../src/interop/dicomweb/forward.js';
import { decodeMultipart, encodeMultipart, type Part } from '../../src/interop/dicomweb/multipart.js';
import { newUid } from '../../src/interop/uid.js';
import { syntheticDicom } from '../data/dicom/synthetic.js';
import { SIIM_SAMPLE, SIIM_SAMPLE_ID_PREFIX } from '../fixture-path.js';
import { runPneumo } from '../cli/run-pneumo.js';
import { maskRuns, pydicomView } from './dicom-tools.js';
import { freePort, Orthanc } from './orthanc.js';
import { registryBundle } from './registry-bundle.js';

const root = mkdtempSync(path.join(tmpdir(), 'pneumo-dicomweb-'));
let orthanc: Orthanc;
test.before(async () => {
  orthanc = await Orthanc.start(path.join(root, 'orthanc'));
});
test.after(async () => {
  await orthanc?.stop();
  rmSync(root, { recursive: true, force: true });
});

const IDS = ['1000.1517875165.878027', '10002.1517875220.939397'].map((s) => `${SIIM_SAMPLE_ID_PREFIX}${s}`);
const siimFile = (id: string) => path.join(SIIM_SAMPLE, `${id}.dcm`);

/** A small instance in a new study, for the forwarding tests. */
function smallInstance(): { study: string; sop: string; bytes: Uint8Array } {
  const study = newUid();
  const sop = newUid();
  const bytes = syntheticDicom(4, 4, new Array(16).fill(7), {
    SOPInstanceUID: sop,
    StudyInstanceUID: study,
    SeriesInstanceUID: newUid(),
    PatientID: 'forward-test',
  });
  return { study, sop, bytes };
}

test('multipart/related bodies round-trip binary parts, with or without part headers', () => {
  const parts: Part[] = [
    { headers: { 'Content-Type': 'application/dicom' }, body: Uint8Array.from([0, 13, 10, 45, 45, 255]) },
    { headers: {}, body: new TextEncoder().encode('second\r\n--not-a-boundary') },
  ];
  const body = encodeMultipart(parts, 'b0undary');
  const decoded = decodeMultipart(body, 'multipart/related; type="application/dicom"; boundary="b0undary"');
  assert.deepEqual(
    decoded.map((p) => [...p.body]),
    parts.map((p) => [...p.body]),
  );
  assert.equal(decoded[0].headers['content-type'], 'application/dicom');
  assert.throws(
    () => decodeMultipart(body.subarray(0, body.length - 30), 'multipart/related; boundary=b0undary'),
    /truncated/,
  );
});

test('STOW-RS stores SIIM films in Orthanc; QIDO-RS finds them; WADO-RS returns the same bytes', async () => {
  const client = new DicomwebClient({ url: orthanc.dicomweb });
  const files = IDS.map((id) => new Uint8Array(readFileSync(siimFile(id))));
  const result = await client.store(files);
  assert.deepEqual(result, { stored: IDS, failed: [] });
  const studies = (await client.searchStudies({ PatientID: '*' })).map((s) => jsonString(s, TAGS.studyInstanceUid));
  assert.equal(studies.length, 2);
  const instances = await client.searchInstances(studies[0]!);
  assert.equal(instances.length, 1);
  const sop = jsonString(instances[0], TAGS.sopInstanceUid)!;
  const series = jsonString(instances[0], TAGS.seriesInstanceUid)!;
  const retrieved = await client.retrieveInstance(studies[0]!, series, sop);
  assert.deepEqual(retrieved, files[IDS.indexOf(sop)]);
  await assert.rejects(client.retrieveInstance(studies[0]!, series, '1.2.3.4'), (err: DicomwebError) => {
    assert.equal(err.status, 404);
    assert.equal(err.transient, false);
    return true;
  });
});

test('pneumo predict --dicomweb --study --push: SEG, SC and SR land in the right study, and the retrieved SEG is the predicted mask', async () => {
  const bundle = await registryBundle(path.join(root, 'bundle'));
  const studies = IDS.map(
    (id) => readFileSync(siimFile(id), 'latin1').match(/1\.2\.276\.0\.7230010\.3\.1\.2\.[\d.]+/)![0],
  );
  const out = path.join(root, 'predict');
  const args = ['predict', '--dicomweb', orthanc.dicomweb, '--bundle', bundle, '--threads', '1', '--json'];
  const result = runPneumo([...args, '--study', studies[0], '--study', studies[1], '--out', out, '--push']);
  assert.equal(result.status, 0, result.stderr);
  const summary = JSON.parse(result.stdout) as { retrieved: number; predicted: number; pushed: number };
  assert.equal(summary.retrieved, 2);
  assert.equal(summary.predicted, 2);
  assert.equal(summary.pushed, 6);

  const client = new DicomwebClient({ url: orthanc.dicomweb });
  const records = readFileSync(path.join(out, 'predictions.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as PredictionRecord);
  for (const [k, study] of studies.entries()) {
    const record = records.find((r) => r.id === IDS[k])!;
    const instances = await client.searchInstances(study, { includefield: TAGS.modality });
    const byModality = new Map(instances.map((i) => [jsonString(i, TAGS.modality), i]));
    assert.deepEqual(
      [...byModality.keys()].sort(),
      ['CR', 'OT', 'SEG', 'SR'],
      `study ${study} holds the source and the three results`,
    );
    const series = new Set(instances.map((i) => jsonString(i, TAGS.seriesInstanceUid)));
    assert.equal(series.size, 4, 'each result in its own series');
    // Orthanc's own DICOM parser read every result: its REST API lists their tags.
    for (const instance of instances) {
      const sop = jsonString(instance, TAGS.sopInstanceUid)!;
      const lookup = await fetch(`${orthanc.url}/tools/lookup`, { method: 'POST', body: sop });
      const [{ ID }] = (await lookup.json()) as { ID: string }[];
      const tags = await orthanc.rest<Record<string, string>>(`/instances/${ID}/simplified-tags`);
      assert.equal(tags.StudyInstanceUID, study);
    }
    const seg = byModality.get('SEG')!;
    const bytes = await client.retrieveInstance(
      study,
      jsonString(seg, TAGS.seriesInstanceUid)!,
      jsonString(seg, TAGS.sopInstanceUid)!,
    );
    const segFile = path.join(root, `retrieved-${k}.seg.dcm`);
    writeFileSync(segFile, bytes);
    const [view] = pydicomView([segFile]);
    assert.deepEqual(view.seg!.runs, maskRuns(decodeRle(record.rle, record.width, record.height).data));
  }

  // A second run predicts the films again, not pneumo's own results now stored beside them.
  const again = runPneumo([...args, '--qido', 'PatientID=*', '--out', path.join(root, 'again')]);
  assert.equal(again.status, 0, again.stderr);
  assert.equal((JSON.parse(again.stdout) as { retrieved: number }).retrieved, 2);

  const closed = new URL(orthanc.dicomweb);
  closed.port = String(await freePort()); // nothing listens there
  const unreachable = runPneumo(
    [...args, '--study', studies[0], '--out', path.join(root, 'x')].map((a) =>
      a === orthanc.dicomweb ? closed.href : a,
    ),
  );
  assert.equal(unreachable.status, 1);
  assert.match(
    unreachable.stderr,
    /^pneumo: QIDO-RS instance search in study [\d.]+: http:\/\/127\.0\.0\.1:\d+\/dicom-web\/studies\/[\d.]+\/instances\?includefield=00080070 did not answer \(ECONNREFUSED\)\n$/,
  );

  const usage = runPneumo(['predict', '--dicomweb', orthanc.dicomweb, '--bundle', bundle, '--out', out]);
  assert.equal(usage.status, 2);
  assert.equal(usage.stderr, 'pneumo: --dicomweb needs --study UID or --qido KEY=VALUE\n');
});

test('Orthanc stopped mid-push: the forward is retried with backoff and arrives once Orthanc is back', async () => {
  const client = new DicomwebClient({ url: orthanc.dicomweb });
  const { study, sop, bytes } = smallInstance();
  let stopped = false;
  let restarted: Promise<void> | null = null;
  const delays: number[] = [];
  const outcome = await forwardBatch(
    { studyInstanceUid: study, instances: [{ sopInstanceUid: sop, bytes }] },
    {
      // The PACS goes down once the push has begun.
      store: async (instances, s) => {
        if (!stopped) {
          stopped = true;
          await orthanc.stop();
        }
        return client.store(instances, s);
      },
      retry: { attempts: 20, initialDelayMs: 100, factor: 2, maxDelayMs: 400 },
      onRetry: (attempt, delay, error) => {
        assert.match(error.message, /did not answer \(ECONNREFUSED\)/);
        delays.push(delay);
        if (attempt === 2) restarted = orthanc.resume();
      },
    },
  );
  await restarted;
  assert.equal(outcome.delivered, true);
  assert.ok(outcome.attempts >= 3, `retried (${outcome.attempts} tries)`);
  delays.forEach((delay, k) => assert.equal(delay, Math.min(400, 100 * 2 ** k), 'exponential backoff, capped'));
  const instances = await client.searchInstances(study);
  assert.deepEqual(
    instances.map((i) => jsonString(i, TAGS.sopInstanceUid)),
    [sop],
  );
});

test('a push that keeps failing goes to the dead letters with its bytes and is delivered by a resend; refused bytes are not retried', async () => {
  const client = new DicomwebClient({ url: orthanc.dicomweb });
  const store = (instances: readonly Uint8Array[], s: string) => client.store(instances, s);
  const sink = new FolderDeadLetters(path.join(root, 'dead-letters'));
  const { study, sop, bytes } = smallInstance();
  await orthanc.stop();
  const outcome = await forwardBatch(
    { studyInstanceUid: study, instances: [{ sopInstanceUid: sop, bytes }] },
    { store, retry: { attempts: 3, initialDelayMs: 20 }, deadLetters: sink },
  );
  assert.equal(outcome.delivered, false);
  assert.equal(outcome.attempts, 3);
  const [letter] = await sink.list();
  assert.equal(letter.studyInstanceUid, study);
  assert.equal(letter.attempts, 3);
  assert.match(letter.reason, /ECONNREFUSED/);
  assert.deepEqual(letter.instances, [{ sopInstanceUid: sop, bytes }]);

  await orthanc.resume();
  assert.deepEqual(await resendDeadLetters(sink, { store }), { delivered: 1, remaining: 0 });
  assert.deepEqual(await sink.list(), []);
  assert.equal(readdirSync(sink.dir).length, 0);
  assert.equal((await client.searchInstances(study)).length, 1);

  const refused = await forwardBatch(
    {
      studyInstanceUid: study,
      instances: [{ sopInstanceUid: newUid(), bytes: new TextEncoder().encode('not DICOM') }],
    },
    { store, retry: { attempts: 5, initialDelayMs: 20 }, deadLetters: sink },
  );
  assert.equal(refused.delivered, false);
  assert.equal(refused.attempts, 1, 'a permanent refusal is not retried');
  assert.equal((await sink.list()).length, 1);
});
