// The worker thread behind OnnxRuntimeEngine: holds the ONNX Runtime sessions and runs them when
// asked. ONNX Runtime's Node API is asynchronous only, while the predictor is synchronous; the engine
// blocks on a shared flag (Atomics.wait) until this worker has posted its reply and raised the flag.
import { workerData, type MessagePort } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';

export interface SessionWorkerData {
  port: MessagePort;
  flag: Int32Array;
  models: Record<string, Uint8Array>;
  threads: number;
}

export interface SessionRequest {
  model: string;
  input: string;
  data: Float32Array;
  dims: number[];
}

export type SessionReply =
  | { ok: true; data: Float32Array; dims: number[] }
  | { ok: true; ready: true; inputs: Record<string, string[]> }
  | { ok: false; error: string };

const { port, flag, models, threads } = workerData as SessionWorkerData;

function reply(message: SessionReply): void {
  const transfer = 'data' in message ? [message.data.buffer as ArrayBuffer] : [];
  port.postMessage(message, transfer);
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
}

const sessions = new Map<string, ort.InferenceSession>();
try {
  for (const [name, bytes] of Object.entries(models))
    sessions.set(
      name,
      await ort.InferenceSession.create(bytes, {
        intraOpNumThreads: threads,
        interOpNumThreads: 1,
        executionMode: 'sequential',
        graphOptimizationLevel: 'all',
      }),
    );
  reply({ ok: true, ready: true, inputs: Object.fromEntries([...sessions].map(([k, s]) => [k, [...s.inputNames]])) });
} catch (err) {
  reply({ ok: false, error: `ONNX Runtime could not load the models: ${(err as Error).message}` });
}

port.on('message', (request: SessionRequest | 'close') => {
  if (request === 'close') {
    port.close();
    for (const s of sessions.values()) void s.release();
    return;
  }
  void (async () => {
    try {
      const session = sessions.get(request.model);
      if (!session) throw new Error(`no model ${request.model}`);
      const outputs = await session.run({ [request.input]: new ort.Tensor('float32', request.data, request.dims) });
      const out = outputs[session.outputNames[0]];
      reply({ ok: true, data: new Float32Array(out.data as Float32Array), dims: [...out.dims] });
    } catch (err) {
      reply({ ok: false, error: (err as Error).message });
    }
  })();
});
