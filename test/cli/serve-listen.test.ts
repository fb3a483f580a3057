// `pneumo serve` that cannot listen must fail, and end, so that a supervisor (systemd, Kubernetes)
// sees it and restarts it: a port in use ends the process with exit 1 and one line, its inference
// workers gone; a port that cannot exist is a usage error (exit 2) before anything starts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { makeServeBundle } from '../serve/serve-support.js';
import { writeOperatingPoints } from '../pipeline/operating-points-fixture.js';
import { PNEUMO_BIN } from './run-pneumo.js';

const root = mkdtempSync(path.join(tmpdir(), 'pneumo-serve-listen-'));
test.after(() => rmSync(root, { recursive: true, force: true }));

/** Far above the second or two it takes; a service that hangs (the failure this guards) never ends. */
const MUST_END_WITHIN_MS = 30_000;

interface Ended {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

function runServe(args: string[]): Promise<Ended> {
  const started = Date.now();
  const child = spawn(process.execPath, [PNEUMO_BIN, 'serve', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  const killer = setTimeout(() => child.kill('SIGKILL'), MUST_END_WITHIN_MS);
  return new Promise((resolve) =>
    child.once('close', (code) => {
      clearTimeout(killer);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    }),
  );
}

/** True while the process runs; a zombie (exited, not yet reaped) runs nothing and counts as gone. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw err;
  }
  let stat = '';
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return true;
  }
  return !/\) Z /.test(stat);
}

test('a port in use: exit 1 within seconds with one line, every inference worker gone', async () => {
  const bundle = await makeServeBundle(root);
  // A bundle with its named points, so that the one line is the listen failure and not the note that
  // a bundle without them decides at its thresholds.
  const t = { classifier: 0.5, pixel: 0.5, minArea: 0 };
  await writeOperatingPoints(bundle, t, t);
  const holder: Server = createServer();
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
  const busy = (holder.address() as AddressInfo).port;
  try {
    const ended = await runServe([
      '--bundle',
      bundle,
      '--store',
      path.join(root, 'store'),
      '--host',
      '127.0.0.1',
      '--port',
      String(busy),
      '--workers',
      '2',
      '--threads',
      '1',
    ]);
    assert.equal(ended.code, 1, `exit code; stderr: ${ended.stderr}`);
    assert.ok(ended.ms < MUST_END_WITHIN_MS, `ended after ${ended.ms} ms`);
    assert.equal(ended.stderr.trim().split('\n').length, 1, ended.stderr);
    assert.match(ended.stderr, new RegExp(`^pneumo: cannot listen on 127\\.0\\.0\\.1:${busy}: the port is in use`));
    const started = /"workerPids":\[([\d,]+)\]/.exec(ended.stdout);
    assert.ok(started, `the log names the workers it started:\n${ended.stdout}`);
    const pids = started[1].split(',').map(Number);
    assert.equal(pids.length, 2);
    for (const pid of pids) assert.equal(alive(pid), false, `inference worker ${pid} outlived the service`);
  } finally {
    holder.close();
  }
});

test('--port 99999 is a usage error: exit 2 before the bundle is even read', async () => {
  const ended = await runServe(['--bundle', path.join(root, 'no-bundle-here'), '--port', '99999']);
  assert.equal(ended.code, 2, ended.stderr);
  assert.match(ended.stderr, /^pneumo: option '--port <n>' argument '99999' is invalid.*0 to 65535/);
  assert.equal(ended.stderr.trim().split('\n').length, 1, ended.stderr);
  assert.equal(ended.stdout, '', 'nothing started, nothing logged');
});
