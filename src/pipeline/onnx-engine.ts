// ONNX Runtime as the predictor's second engine: the bundle's models are exported in memory (the
// same export as `pneumo export`, with a dynamic batch) and run by onnxruntime-node's CPU provider in
// a worker thread; the predictor stays synchronous by blocking on the worker's reply (see
// onnx-session-worker.ts). Preprocessing and everything after the probabilities stay the predictor's,
// and so do the input gate's features (a second pass of the libtorch encoder).
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import * as torch from '../torch/index.js';
import type { LoadedBundle } from './bundle.js';
import { libtorchFeatures, type ModelEngine } from './model-engine.js';
import type { SessionReply, SessionRequest, SessionWorkerData } from './onnx-session-worker.js';
import { exportModel, ONNX_INPUT, type ModelRole } from '../export/export-model.js';

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

/** Runs the ONNX export of both models; the bundle's libtorch models are folded by the export and left unused. */
export function onnxRuntimeEngine(
  bundle: LoadedBundle,
  options: { threads: number; models?: Partial<Record<ModelRole, Uint8Array>> },
): ModelEngine {
  const models = {
    classifier:
      options.models?.classifier ??
      exportModel(bundle.classifier, 'classifier', bundle.manifest, { dynamicBatch: true }),
    segmenter:
      options.models?.segmenter ?? exportModel(bundle.segmenter, 'segmenter', bundle.manifest, { dynamicBatch: true }),
  };
  const sessions = new OnnxSessions(models, options.threads);
  const run = (role: ModelRole, input: torch.Tensor) => {
    const { data, dims } = sessions.run(role, ONNX_INPUT, input.contiguous().toFloat32Array(), input.shape);
    return torch.tensor(data, dims);
  };
  return {
    runtime: 'onnx',
    classifierProbability: (input) => run('classifier', input),
    // The export has the probability only; the gate's features come from the bundle's own module.
    classifierWithFeatures: (input) => ({
      probability: run('classifier', input),
      features: libtorchFeatures(bundle, input),
    }),
    maskProbability: (input) => run('segmenter', input),
    dispose: () => sessions.close(),
  };
}
