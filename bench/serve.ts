// `pneumo bench serve`: the triage service under loopback load from autocannon. The service runs as
// `pneumo serve` in its own process (2 inference workers, the demo's architectures at input 256 with
// random weights: time, not quality); every request uploads one SIIM sample image (1024x1024 JPEG)
// with a fresh SOP Instance UID. Phases:
//   calibrate   8 images in one request; the time to their last result gives the sustainable rate
//   clients1/4  1 and 4 connections at 80% of that rate: uploads/s, upload-to-result p50/p99 (from the
//               service's own receivedAt/finishedAt), HTTP latency p50/p99
//   overload    4 connections unthrottled for 30 s (several times the sustainable rate): every answer
//               must be 2xx or 503, resident memory of the service and its workers (max of 0.5 s
//               samples) must stay under the stated bound, and every acknowledged upload must get its
//               result; the service's event-loop delay p99 (prom-client, reset at each scrape) is taken
//               over this phase, while inference runs.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import * as torch from '../src/torch/index.js';
import { IMAGENET_NORMALIZATION } from '../src/models/index.js';
import { makeBundle } from '../src/pipeline/bundle.js';
import { DEMO_MODELS } from '../src/pipeline/demo-models.js';
import { PROJECT_ROOT } from '../src/project-paths.js';
import { SqliteStore } from '../src/serve/store/sqlite-store.js';
import { DATABASE_FILE } from '../src/serve/store/store-layout.js';
import { fixture } from './support/fixtures.js';
import { writeRegistryRun } from './support/registry-run.js';

const INPUT = 256;
const WORKERS = 2;
const QUEUE_LIMIT = 64;
/** The stated bound on resident memory: the service plus its inference workers. */
const RSS_BOUND_MB = 1536;
const BOUNDARY = 'pneumo-bench-boundary';

/** Upload bodies: the SIIM sample with its SOP Instance UID replaced by a fresh one of the same length. */
class Uploads {
  private readonly files: { bytes: Buffer; uid: string }[];
  private n = 0;
  constructor() {
    const dir = fixture('siim-sample');
    this.files = readdirSync(dir)
      .filter((f) => f.endsWith('.dcm'))
      .sort()
      .map((f) => ({ bytes: readFileSync(path.join(dir, f)), uid: path.basename(f, '.dcm') }));
  }
  /** One STOW-RS body holding `count` instances, and their UIDs. */
  next(phase: number, count = 1): { body: Buffer; uids: string[] } {
    const chunks: Buffer[] = [];
    const uids: string[] = [];
    for (let k = 0; k < count; k++) {
      const source = this.files[this.n % this.files.length];
      const serial = `1${phase}${String(++this.n).padStart(8, '0')}`;
      const uid = `2.25.${serial.padStart(source.uid.length - 5, '1')}`;
      const bytes = Buffer.from(source.bytes);
      const from = Buffer.from(source.uid, 'latin1');
      for (let at = bytes.indexOf(from); at >= 0; at = bytes.indexOf(from, at + from.length))
        bytes.write(uid, at, 'latin1');
      uids.push(uid);
      chunks.push(Buffer.from(`--${BOUNDARY}\r\nContent-Type: application/dicom\r\n\r\n`), bytes, Buffer.from('\r\n'));
    }
    chunks.push(Buffer.from(`--${BOUNDARY}--\r\n`));
    return { body: Buffer.concat(chunks), uids };
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

/** Resident memory of a process and its children, MiB (Linux /proc). */
function treeRssMb(pid: number): number {
  let kb = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const status = readFileSync(`/proc/${entry}/status`, 'utf8');
      const ppid = Number(/^PPid:\s+(\d+)/m.exec(status)?.[1]);
      if (Number(entry) !== pid && ppid !== pid) continue;
      kb += Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? 0);
    } catch {
      // the process ended while being read
    }
  }
  return kb / 1024;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const percentile = (sorted: number[], p: number) =>
  sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
const round = (v: number, digits = 1) => Number(v.toFixed(digits));

export async function run({ quick }: { quick: boolean }): Promise<object> {
  const work = mkdtempSync(path.join(os.tmpdir(), 'pneumo-bench-serve-'));
  const store = path.join(work, 'store');
  const bin = path.join(PROJECT_ROOT, 'bin', 'pneumo.js');
  try {
    torch.manualSeed(0);
    const normalization = { mean: IMAGENET_NORMALIZATION.grayMean, std: IMAGENET_NORMALIZATION.grayStd };
    writeRegistryRun(path.join(work, 'c'), DEMO_MODELS.classifier, INPUT, normalization);
    writeRegistryRun(path.join(work, 's'), DEMO_MODELS.segmenter, INPUT, normalization);
    const bundle = path.join(work, 'bundle');
    await makeBundle({ classifierRun: path.join(work, 'c'), segmenterRun: path.join(work, 's'), out: bundle });
    const token = await new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, [
        bin,
        'serve',
        'token',
        'create',
        '--role',
        'admin',
        '--store',
        store,
        '--json',
      ]);
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.on('exit', (code) =>
        code === 0 ? resolve(JSON.parse(out).token) : reject(new Error('token create failed')),
      );
    });
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const server = spawn(
      process.execPath,
      [
        bin,
        'serve',
        '--bundle',
        bundle,
        '--store',
        store,
        '--port',
        String(port),
        '--workers',
        String(WORKERS),
        '--threads',
        '1',
        '--queue-limit',
        String(QUEUE_LIMIT),
        '--log-level',
        'warn',
      ],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
    const headers = {
      authorization: `Bearer ${token}`,
      'content-type': `multipart/related; type="application/dicom"; boundary=${BOUNDARY}`,
    };
    const uploads = new Uploads();
    try {
      for (let i = 0; ; i++) {
        const ready = await fetch(`${url}/ready`).then(
          (r) => r.ok,
          () => false,
        );
        if (ready) break;
        if (i > 600) throw new Error('the service did not become ready in 60 s');
        await sleep(100);
      }
      const pending = async () =>
        (
          (await (await fetch(`${url}/api/worklist?status=pending&limit=500`, { headers })).json()) as {
            items: unknown[];
          }
        ).items.length;
      const drain = async () => {
        while ((await pending()) > 0) await sleep(200);
      };
      const eventLoopP99 = async () => {
        const text = await (await fetch(`${url}/metrics`, { headers })).text();
        return Number(/^pneumo_nodejs_eventloop_lag_p99_seconds (\S+)$/m.exec(text)?.[1]) * 1000;
      };

      // Calibrate: the inference throughput of the service as configured.
      const calibration = uploads.next(0, 8);
      const t0 = performance.now();
      const answer = await fetch(`${url}/dicom-web/studies`, { method: 'POST', headers, body: calibration.body });
      if (answer.status !== 200) throw new Error(`calibration upload answered ${answer.status}`);
      await drain();
      const sustainable = 8 / ((performance.now() - t0) / 1000);

      const phase = async (id: number, connections: number, seconds: number, rate: number | null) => {
        const acknowledged: string[] = [];
        const statuses: Record<string, number> = {};
        let maxRss = 0;
        const sampler = setInterval(() => (maxRss = Math.max(maxRss, treeRssMb(server.pid!))), 500);
        await eventLoopP99(); // resets the service's event-loop histogram
        const result = await autocannon({
          url,
          connections,
          duration: seconds,
          ...(rate ? { overallRate: rate } : {}),
          requests: [
            {
              method: 'POST',
              path: '/dicom-web/studies',
              headers,
              setupRequest: (request: object, context: Record<string, unknown>) => {
                const { body, uids } = uploads.next(id);
                context.uid = uids[0];
                return { ...request, body };
              },
              onResponse: (status: number, _body: string, context: Record<string, unknown>) => {
                statuses[status] = (statuses[status] ?? 0) + 1;
                if (status === 200) acknowledged.push(String(context.uid));
              },
            },
          ],
        } as autocannon.Options);
        const loopP99 = await eventLoopP99();
        clearInterval(sampler);
        maxRss = Math.max(maxRss, treeRssMb(server.pid!));
        await drain();
        return { result, acknowledged, statuses, maxRss, loopP99 };
      };
      const latencies = async (uids: string[]) => {
        const db = new SqliteStore(path.join(store, DATABASE_FILE));
        try {
          const seconds: number[] = [];
          let missing = 0;
          for (const uid of uids) {
            const [instance, result] = await Promise.all([db.getInstance(uid), db.getResult(uid)]);
            if (!instance || !result) missing++;
            else seconds.push((result.finishedAt - instance.receivedAt) / 1000);
          }
          seconds.sort((a, b) => a - b);
          return { p50: round(percentile(seconds, 50), 2), p99: round(percentile(seconds, 99), 2), missing };
        } finally {
          await db.close();
        }
      };

      const steady = quick ? 5 : 20;
      const rate = Math.max(1, Math.floor(0.8 * sustainable));
      const clients: Record<string, object> = {};
      for (const [id, connections] of [
        [1, 1],
        [2, 4],
      ] as const) {
        const p = await phase(id, connections, steady, rate);
        const l = await latencies(p.acknowledged);
        clients[`clients${connections}`] = {
          uploadsPerSecond: round(p.acknowledged.length / steady, 2),
          uploadToResultSeconds: { p50: l.p50, p99: l.p99 },
          httpLatencyMs: { p50: p.result.latency.p50, p99: p.result.latency.p99 },
          eventLoopDelayP99Ms: round(p.loopP99, 2),
          statuses: p.statuses,
        };
      }
      const overloadSeconds = quick ? 8 : 30;
      const o = await phase(3, 4, overloadSeconds, null);
      const ol = await latencies(o.acknowledged);
      const answered = Object.values(o.statuses).reduce((a, b) => a + b, 0);
      const only2xxOr503 = Object.keys(o.statuses).every((s) => s === '503' || s.startsWith('2'));
      return {
        benchmark: 'serve',
        quick,
        setup: {
          models: DEMO_MODELS,
          inputSize: INPUT,
          workers: WORKERS,
          threadsPerWorker: 1,
          queueLimit: QUEUE_LIMIT,
          image: 'SIIM sample, 1024x1024 JPEG baseline, one instance per request',
          cores: os.availableParallelism(),
        },
        sustainableImagesPerSecond: round(sustainable, 2),
        offeredRatePerSecond: rate,
        ...clients,
        overload: {
          seconds: overloadSeconds,
          requestsPerSecond: round(answered / overloadSeconds, 1),
          timesSustainable: round(answered / overloadSeconds / sustainable, 1),
          statuses: o.statuses,
          only2xxOr503,
          acknowledged: o.acknowledged.length,
          acknowledgedWithoutResult: ol.missing,
          uploadToResultSeconds: { p50: ol.p50, p99: ol.p99 },
          maxRssMb: round(o.maxRss),
          rssBoundMb: RSS_BOUND_MB,
          rssWithinBound: o.maxRss < RSS_BOUND_MB,
          eventLoopDelayP99Ms: round(o.loopP99, 2),
          eventLoopDelayUnder50Ms: o.loopP99 < 50,
        },
      };
    } finally {
      server.kill('SIGTERM');
      await new Promise((r) => server.once('exit', r));
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
