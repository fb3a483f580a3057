// Worker-thread side of predictor-worker.test.ts: loads the addon and a Predictor in this thread and
// predicts the same batch `rounds` times, reporting when it started and finished working.
import { parentPort, workerData } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { Predictor } from '../../src/pipeline/predictor.js';
import * as torch from '../../src/torch/index.js';
import type { GrayImage } from '../../src/data/image.js';
import { tinyModelFactory } from './tiny-models.js';

export interface PredictJob {
  bundle: string;
  images: GrayImage[];
  rounds: number;
}

export interface PredictReport {
  start: number;
  end: number;
  probabilities: number[];
  areas: number[];
  rles: string[];
  liveTensorsAfter: number;
}

const job = workerData as PredictJob;
const predictor = await Predictor.load(job.bundle, { modelFactory: tinyModelFactory, threads: 1 });
const start = performance.timeOrigin + performance.now();
let predictions = predictor.predict(job.images);
for (let round = 1; round < job.rounds; round++) predictions = predictor.predict(job.images);
const end = performance.timeOrigin + performance.now();
predictor.dispose();
const report: PredictReport = {
  start,
  end,
  probabilities: predictions.map((p) => p.probability),
  areas: predictions.map((p) => p.area),
  rles: predictions.map((p) => p.rle),
  liveTensorsAfter: torch.liveTensors(),
};
parentPort!.postMessage(report);
