// Worker thread of the dataset writer: renders and writes the images whose indices it is sent.
import { parentPort, workerData } from 'node:worker_threads';
import type { SynthOptions } from './options.js';
import { writeSynthImage } from './synth-image.js';

export interface SynthWorkerData {
  options: SynthOptions;
  outDir: string;
}

export type SynthWorkerReply =
  | { index: number; ok: true; record: Awaited<ReturnType<typeof writeSynthImage>> }
  | { index: number; ok: false; reason: string };

const { options, outDir } = workerData as SynthWorkerData;
const port = parentPort;
if (!port) throw new Error('synth-worker must run as a worker thread');
port.on('message', async (index: number) => {
  let reply: SynthWorkerReply;
  try {
    reply = { index, ok: true, record: await writeSynthImage(options, index, outDir) };
  } catch (err) {
    reply = { index, ok: false, reason: err instanceof Error ? err.message : String(err) };
  }
  port.postMessage(reply);
});
