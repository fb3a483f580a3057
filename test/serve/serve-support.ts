// What the service tests share: a small bundle of registry models (the real CLI can load it, no test
// hooks), small DICOMs with chosen UIDs and identifying values, STOW-RS bodies, and waiting.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import * as torch from '../../src/torch/index.js';
import { writeRegistryRun } from '../../bench/support/registry-run.js';
import { makeBundle } from '../../src/pipeline/bundle.js';
import { DEMO_MODELS } from '../../src/pipeline/demo-models.js';
import { siimDicom } from '../../src/data/synth/siim-dicom.js';
import { PNEUMO_BIN, runPneumo } from '../cli/run-pneumo.js';
import { applyGateRuleSettings } from '../../src/pipeline/gate-rules.js';
import type { GateSettings } from '../../src/pipeline/input-gate.js';

export const INPUT = 64;

/**
 * The test films are small (96 px at 0.5 mm, or 128/512 px): the input gate's film-size rules are
 * relaxed for them, every other rule holds (they are CR chest PA films of an adult).
 */
export const SMALL_FILM_GATE_RULES = ['minSidePixels=64', 'filmSideMm=10-550'];
export const SMALL_FILM_GATE: GateSettings = { enabled: true, rules: applyGateRuleSettings(SMALL_FILM_GATE_RULES) };
const SMALL_FILM_GATE_FLAGS = SMALL_FILM_GATE_RULES.flatMap((rule) => ['--gate-rule', rule]);
const NORMALIZATION = { mean: 0.5, std: 0.25 };

/** The demo's architectures at input 64 with seeded random weights; classifier threshold 0, so every image is segmented. */
export async function makeServeBundle(root: string): Promise<string> {
  torch.manualSeed(7);
  writeRegistryRun(path.join(root, 'run-c'), DEMO_MODELS.classifier, INPUT, NORMALIZATION);
  writeRegistryRun(path.join(root, 'run-s'), DEMO_MODELS.segmenter, INPUT, NORMALIZATION);
  const out = path.join(root, 'bundle');
  await makeBundle({
    classifierRun: path.join(root, 'run-c'),
    segmenterRun: path.join(root, 'run-s'),
    out,
    thresholds: { classifier: 0, pixel: 0.5, minArea: 0 },
  });
  return out;
}

export const PHI = { patientId: 'PHIPATIENT-8841-XQ', birthDate: '19370412' };

/** A native 8-bit DICOM, size x size, with the given SOP Instance UID and the PHI values above. */
export async function smallDicom(uid: string, size = 96, seed = 1): Promise<Buffer> {
  const pixels = new Uint8Array(size * size);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 31 + seed * 17 + ((i / size) | 0) * 7) & 0xff;
  const bytes = await siimDicom(
    {
      sopInstanceUid: uid,
      studyInstanceUid: `${uid}.1`,
      seriesInstanceUid: `${uid}.2`,
      patientId: PHI.patientId,
      patientAge: '61',
      patientSex: 'F',
      viewPosition: 'PA',
      pixelSpacing: 0.5,
    },
    pixels,
    size,
    'explicit',
    90,
  );
  return Buffer.from(bytes);
}

/** A STOW-RS body of the given instances. */
export function stowBody(
  instances: readonly Uint8Array[],
  boundary = 'pneumo-test-boundary-7f3a',
): { body: Buffer; contentType: string } {
  const chunks: Buffer[] = [];
  for (const instance of instances) {
    chunks.push(
      Buffer.from(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`),
      Buffer.from(instance),
      Buffer.from('\r\n'),
    );
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return {
    body: Buffer.concat(chunks),
    contentType: `multipart/related; type="application/dicom"; boundary=${boundary}`,
  };
}

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | null | undefined | false>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export const auth = (token: string) => ({ authorization: `Bearer ${token}` });

export interface ServerProcess {
  child: ChildProcess;
  /** http://127.0.0.1:PORT */
  url: string;
  /** Everything the process wrote to stdout and stderr so far (its pino log). */
  output(): string;
  exited: Promise<number | null>;
}

/** Starts `pneumo serve` on a free loopback port (the gate relaxed for small films) and resolves once it listens. */
export async function startServer(args: readonly string[]): Promise<ServerProcess> {
  const gate = args.includes('--no-gate') ? [] : SMALL_FILM_GATE_FLAGS;
  const child = spawn(process.execPath, [PNEUMO_BIN, 'serve', '--host', '127.0.0.1', '--port', '0', ...gate, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await Promise.race([
    waitFor(
      'the server to listen',
      async () => /listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1] ?? null,
      60_000,
    ),
    exited.then((code) => {
      throw new Error(`pneumo serve exited (${code}) before listening:\n${output}`);
    }),
  ]);
  return { child, url, output: () => output, exited };
}

export async function createTokenCli(store: string, role: string): Promise<string> {
  const result = runPneumo([
    'serve',
    'token',
    'create',
    '--role',
    role,
    '--label',
    `${role} cli`,
    '--store',
    store,
    '--json',
  ]);
  if (result.status !== 0) throw new Error(`token create failed: ${result.stderr}`);
  return (JSON.parse(result.stdout) as { token: string }).token;
}

/** POST a STOW-RS request over the socket. */
export async function stowOverHttp(url: string, token: string, instances: readonly Uint8Array[]): Promise<Response> {
  const { body, contentType } = stowBody(instances);
  return fetch(`${url}/dicom-web/studies`, {
    method: 'POST',
    body,
    headers: { ...auth(token), 'content-type': contentType },
  });
}
