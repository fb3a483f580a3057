// ONNX Runtime as the predictor's second engine: the bundle's models are exported in memory (the
// same export as `pneumo export`, with a dynamic batch) and run by onnxruntime-node's CPU provider in
// a worker thread; the predictor stays synchronous by blocking on the worker's reply (see
// onnx-session-worker.ts). Preprocessing and everything after the probabilities stay the predictor's,
// and so do the input gate's features (a second pass of the libtorch encoder).
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import * as torch from '../torch/index.js';
import type { LoadedBundle } from './bundle.js';
import type { BundleManifest } from './bundle-manifest.js';
import { libtorchFeatures, meanOfMembers, type ModelEngine } from './model-engine.js';
import type { SessionReply, SessionRequest, SessionWorkerData } from './onnx-session-worker.js';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { exportModel, ONNX_INPUT, type ModelRole } from '../export/export-model.js';
import { BUNDLE_ONNX_FOLDER, INT8_ONNX_FILES } from '../export/export-bundle.js';
import { weightsFingerprint } from '../export/export-int8.js';
import { readOnnxMetadata } from '../export/onnx-graph.js';

// A model that takes longer than this for one batch is taken as a hung worker.
const REPLY_TIMEOUT_MS = 10 * 60 * 1000;

/** Runs ONNX models (by name) synchronously through a worker thread. */
export class OnnxSessions {
  readonly #worker: Worker;
  readonly #port: MessagePort;
  readonly #flag = new Int32Array(new SharedArrayBuffer(4));
  #closed = false;

  constructor(models: Record<string, Uint8Array>, threads: number) {
    const { port1, port2 } = new MessageChannel();
    this.#port = port1;
    const data: SessionWorkerData = { port: port2, flag: this.#flag, models, threads };
    this.#worker = new Worker(new URL('./onnx-session-worker.js', import.meta.url), {
      workerData: data,
      transferList: [port2],
    });
    // The worker must not keep the process alive once the predictor is done with it.
    this.#worker.unref();
    this.#await();
  }

  #await(): SessionReply & { ok: true } {
    const deadline = Date.now() + REPLY_TIMEOUT_MS;
    for (;;) {
      const result = Atomics.wait(this.#flag, 0, 0, Math.max(1, deadline - Date.now()));
      const message = receiveMessageOnPort(this.#port);
      if (message) {
        Atomics.store(this.#flag, 0, 0);
        const reply = message.message as SessionReply;
        if (!reply.ok) throw new Error(`ONNX Runtime: ${reply.error}`);
        return reply;
      }
      if (result === 'timed-out') throw new Error(`ONNX Runtime: no reply within ${REPLY_TIMEOUT_MS / 1000} s`);
    }
  }

  /** The model's single output for a float32 input. */
  run(
    model: string,
    input: string,
    data: Float32Array,
    dims: readonly number[],
  ): { data: Float32Array; dims: number[] } {
    if (this.#closed) throw new Error('ONNX Runtime sessions are closed');
    const request: SessionRequest = { model, input, data, dims: [...dims] };
    this.#port.postMessage(request);
    const reply = this.#await();
    if (!('data' in reply)) throw new Error('ONNX Runtime: unexpected reply');
    return reply;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#port.postMessage('close');
    this.#port.close();
    void this.#worker.terminate();
  }
}

/** The int8 file recorded the sha256 of the weights it was exported from: are they the bundle's? */
export function int8ExportMatches(
  bundleDir: string,
  manifest: BundleManifest,
  role: ModelRole,
  bytes?: Uint8Array,
): boolean {
  try {
    const file = bytes ?? readFileSync(path.join(bundleDir, BUNDLE_ONNX_FOLDER, INT8_ONNX_FILES[role]));
    const q = readOnnxMetadata(file).metadata['pneumo.quantisation'];
    const recorded = (JSON.parse(q ?? '{}') as { weightsSha256?: string }).weightsSha256;
    return recorded === weightsFingerprint(path.join(bundleDir, manifest[role].weights));
  } catch {
    return false;
  }
}

/**
 * The int8 export kept in the bundle folder (`pneumo export --int8 --out BUNDLE/onnx`), checked to
 * come from the bundle's own weights; a missing or stale file is an error saying how to make it.
 */
export function bundledInt8Models(bundle: LoadedBundle): Record<ModelRole, Uint8Array> {
  const read = (role: ModelRole) => {
    const file = path.join(bundle.dir, BUNDLE_ONNX_FOLDER, INT8_ONNX_FILES[role]);
    const remedy = `pneumo export --bundle ${bundle.dir} --out ${path.join(bundle.dir, BUNDLE_ONNX_FOLDER)} --int8 --calibrate-on DATA`;
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(file);
    } catch {
      throw new Error(`--runtime onnx-int8: ${file} is missing (make it with: ${remedy})`);
    }
    if (!int8ExportMatches(bundle.dir, bundle.manifest, role, bytes))
      throw new Error(
        `--runtime onnx-int8: ${file} was not exported from this bundle's weights (export again: ${remedy})`,
      );
    return bytes;
  };
  return { classifier: read('classifier'), segmenter: read('segmenter') };
}

/** Session names of a role's members: the role itself for the first, `role#k` for the k-th after it. */
const memberName = (role: ModelRole, k: number) => (k === 0 ? role : `${role}#${k}`);

/**
 * Runs the ONNX export of every model (each member of an ensemble, averaged as the libtorch engine
 * averages them); the bundle's libtorch models are folded by the export and left unused.
 */
export function onnxRuntimeEngine(
  bundle: LoadedBundle,
  options: { threads: number; models?: Partial<Record<ModelRole, Uint8Array>>; runtime?: 'onnx' | 'onnx-int8' },
): ModelEngine {
  const members = { classifier: bundle.classifiers, segmenter: bundle.segmenters };
  const models: Record<string, Uint8Array> = {};
  for (const role of ['classifier', 'segmenter'] as const)
    members[role].forEach((model, k) => {
      const given = k === 0 && members[role].length === 1 ? options.models?.[role] : undefined;
      models[memberName(role, k)] = given ?? exportModel(model, role, bundle.manifest, { dynamicBatch: true });
    });
  const sessions = new OnnxSessions(models, options.threads);
  const run = (name: string, input: torch.Tensor) => {
    const { data, dims } = sessions.run(name, ONNX_INPUT, input.contiguous().toFloat32Array(), input.shape);
    return torch.tensor(data, dims);
  };
  const indices = (role: ModelRole) => members[role].map((_, k) => k);
  return {
    runtime: options.runtime ?? 'onnx',
    classifierProbability: (input) =>
      meanOfMembers(indices('classifier'), (k) => run(memberName('classifier', k), input)),
    // The export has the probability only; the gate's features come from the bundle's own module.
    classifierWithFeatures: (input) => ({
      probability: meanOfMembers(indices('classifier'), (k) => run(memberName('classifier', k), input)),
      features: libtorchFeatures(bundle, input),
    }),
    maskProbability: (input) => meanOfMembers(indices('segmenter'), (k) => run(memberName('segmenter', k), input)),
    dispose: () => sessions.close(),
  };
}
