// Moves jobs from the database to the inference workers: whenever a worker is free it claims the
// oldest queued instance, runs it, and commits the result and the `done` state in one transaction.
// The queue lives only in the database, so a killed service loses nothing: at start-up the jobs left
// `running` go back to `queued`, and finished ones stay finished. A job whose worker dies is put back;
// after `maxWorkerDeaths` deaths on the same instance it is failed, so one poison image cannot stop
// the service.
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Store } from '../store/store.js';
import {
  WorkerDiedError,
  WorkerUnavailableError,
  type BundleIdentity,
  type InferenceOutput,
  type JobRunner,
} from '../inference/job-runner.js';
import type { ServeMetrics } from '../metrics.js';

export interface DispatcherOptions {
  store: Store;
  runner: JobRunner;
  storeDir: string;
  /** Folder under storeDir for overlays and masks. */
  derivedDir: string;
  bundle: BundleIdentity;
  clock: () => number;
  metrics: ServeMetrics;
  maxWorkerDeaths?: number;
  /** Safety net: the queue is looked at this often even without a notification. */
  pollMs?: number;
  log: { warn(obj: object, msg: string): void; error(obj: object, msg: string): void };
  /** Called after each committed result (monitoring checks for drift). */
  onResult?: () => void;
}

export class Dispatcher {
  /** This process's name in the claimed_by column. */
  readonly id = `${process.pid}-${randomBytes(3).toString('hex')}`;
  private pumping = false;
  private again = false;
  private closed = false;
  private timer: NodeJS.Timeout | null = null;
  private readonly inFlight = new Set<Promise<void>>();
  /** Mean inference seconds (exponential average), for Retry-After. */
  meanJobSeconds = 1;

  constructor(private readonly o: DispatcherOptions) {
    o.runner.onIdle(() => this.notify());
  }

  async start(): Promise<number> {
    const requeued = await this.o.store.requeueAbandoned();
    this.timer = setInterval(() => this.notify(), this.o.pollMs ?? 1000);
    this.timer.unref();
    this.notify();
    return requeued;
  }

  /** Something changed (an upload, a free worker): look at the queue. */
  notify(): void {
    if (this.closed) return;
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = true;
    void this.pump().finally(() => {
      this.pumping = false;
      if (this.again) {
        this.again = false;
        this.notify();
      }
    });
  }

  private async pump(): Promise<void> {
    while (!this.closed && this.o.runner.idle > 0) {
      const job = await this.o.store.claimJob(this.id, this.o.clock());
      if (!job) return;
      const done = this.runOne(job.uid, job.file, job.workerDeaths, job.receivedAt).catch((err: Error) =>
        this.o.log.error({ uid: job.uid, err: err.message }, 'job bookkeeping failed'),
      );
      this.inFlight.add(done);
      void done.finally(() => this.inFlight.delete(done));
    }
  }

  private async runOne(uid: string, file: string, workerDeaths: number, receivedAt: number): Promise<void> {
    const { store, runner, clock, metrics } = this.o;
    if (workerDeaths >= (this.o.maxWorkerDeaths ?? 3)) {
      await store.failJob(uid, `inference workers died ${workerDeaths} times on this image`, clock());
      return;
    }
    const claimedAt = clock();
    const started = performance.now();
    let output: InferenceOutput;
    try {
      output = await runner.run({
        uid,
        dicomFile: path.join(this.o.storeDir, file),
        outDir: path.join(this.o.storeDir, this.o.derivedDir),
      });
    } catch (err) {
      if (this.closed) return; // shutting down: the job stays `running` and is requeued at the next start
      if (err instanceof WorkerUnavailableError) {
        await store.releaseJob(uid, false);
      } else if (err instanceof WorkerDiedError) {
        this.o.log.warn({ uid, err: err.message }, 'inference worker died; job requeued');
        await store.releaseJob(uid, true);
      } else {
        await store.failJob(uid, (err as Error).message, clock());
        metrics.jobs.inc({ outcome: 'failed' });
      }
      return;
    }
    const seconds = (performance.now() - started) / 1000;
    this.meanJobSeconds = 0.8 * this.meanJobSeconds + 0.2 * seconds;
    const finishedAt = clock();
    const spacing = output.pixelSpacing;
    await store.completeJob({
      uid,
      status: output.status,
      gate: output.gate,
      probability: output.probability,
      probabilityUncalibrated: output.probabilityUncalibrated,
      calibrated: output.calibrated,
      decision: output.decision,
      segmented: output.segmented,
      thresholds: output.thresholds,
      rle: output.rle,
      areaPixels: output.areaPixels,
      areaCm2: spacing ? (output.areaPixels * spacing[0] * spacing[1]) / 100 : null,
      bbox: output.bbox,
      size: output.size,
      maskFile: output.maskFile && path.join(this.o.derivedDir, output.maskFile),
      overlayFile: path.join(this.o.derivedDir, output.overlayFile),
      bundleId: this.o.bundle.id,
      bundleVersion: this.o.bundle.version,
      timingsMs: { queueWait: claimedAt - receivedAt, ...output.timingsMs, inference: seconds * 1000 },
      finishedAt,
    });
    metrics.inferenceSeconds.observe(seconds);
    metrics.uploadToResultSeconds.observe(Math.max(0, finishedAt - receivedAt) / 1000);
    metrics.jobs.inc({ outcome: 'done' });
    this.o.onResult?.();
  }

  /** Stops claiming; jobs still running stay `running` in the database and are redone at the next start. */
  close(): void {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
  }

  /** Waits for the bookkeeping of jobs that were running (call after the runner is closed). */
  async drain(): Promise<void> {
    await Promise.all([...this.inFlight]);
  }
}
