// The JobRunner on child processes: N forks of inference-worker.js, each loading the bundle once and
// running one job at a time. A worker that dies fails its running job with WorkerDiedError (the
// dispatcher puts the job back in the queue) and is replaced; workers that keep dying before they are
// ready (a bundle that does not load) stop the restarts and leave the reason for readiness to report.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { InferenceJob, InferenceOutput, JobRunner } from './job-runner.js';
import { WorkerDiedError, WorkerUnavailableError } from './job-runner.js';
import type { ParentMessage, WorkerMessage } from './inference-worker.js';
import type { Runtime } from '../../pipeline/model-engine.js';
import type { TtaName } from '../../pipeline/tta.js';
import type { OperatingPointName } from '../../pipeline/bundle-manifest.js';
import { DEFAULT_OPERATING_POINT } from '../../pipeline/bundle-operating-point.js';
import type { GateSettings } from '../../pipeline/input-gate.js';

export interface ProcessPoolOptions {
  bundleDir: string;
  workers: number;
  /** Compute threads per worker. */
  threads: number;
  /** Each worker's inference engine. */
  runtime: Runtime;
  /** Each worker's test-time augmentation; none by default. */
  tta?: TtaName;
  /** The bundle's operating point the workers decide at; 'triage' by default. */
  operatingPoint?: OperatingPointName;
  /** The input gate's settings; on with the default rules when absent. */
  gate?: GateSettings;
  /** Workers in a row that may die before becoming ready before the pool gives up. */
  maxStartupFailures?: number;
  /** Called with a one-line reason whenever a worker dies or fails to start. */
  onWorkerProblem?: (reason: string) => void;
}

interface Running {
  id: number;
  resolve(output: InferenceOutput): void;
  reject(err: Error): void;
}

interface Slot {
  child: ChildProcess;
  ready: boolean;
  current: Running | null;
}

const WORKER_SCRIPT = fileURLToPath(new URL('./inference-worker.js', import.meta.url));

export class ProcessPool implements JobRunner {
  private readonly slots = new Set<Slot>();
  private readonly listeners: (() => void)[] = [];
  private nextId = 0;
  private closed = false;
  private startupFailures = 0;
  private readyWaiters: { resolve(): void; reject(err: Error): void }[] = [];
  /** Why the pool stopped restarting workers; null while it is healthy. */
  brokenReason: string | null = null;

  constructor(private readonly options: ProcessPoolOptions) {}

  get capacity(): number {
    return this.options.workers;
  }

  get idle(): number {
    let n = 0;
    for (const s of this.slots) if (s.ready && !s.current) n++;
    return n;
  }

  get ready(): number {
    let n = 0;
    for (const s of this.slots) if (s.ready) n++;
    return n;
  }

  /** Process ids of the live workers (tests kill one to see the job survive). */
  get pids(): number[] {
    return [...this.slots].map((s) => s.child.pid!).filter((pid) => pid !== undefined);
  }

  onIdle(listener: () => void): void {
    this.listeners.push(listener);
  }

  start(): Promise<void> {
    for (let i = 0; i < this.options.workers; i++) this.spawn();
    return new Promise((resolve, reject) => this.readyWaiters.push({ resolve, reject }));
  }

  run(job: InferenceJob): Promise<InferenceOutput> {
    const slot = [...this.slots].find((s) => s.ready && !s.current);
    if (!slot) return Promise.reject(new WorkerUnavailableError('no idle inference worker'));
    return new Promise<InferenceOutput>((resolve, reject) => {
      const id = this.nextId++;
      slot.current = { id, resolve, reject };
      slot.child.send({ type: 'job', id, job } satisfies ParentMessage);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const exits = [...this.slots].map(
      (slot) =>
        new Promise<void>((resolve) => {
          if (slot.child.exitCode !== null || slot.child.signalCode !== null) return resolve();
          slot.child.once('exit', () => resolve());
          slot.child.kill('SIGTERM');
        }),
    );
    await Promise.all(exits);
  }

  private emitIdle(): void {
    for (const listener of this.listeners) listener();
  }

  private spawn(): void {
    const { bundleDir, threads, runtime, tta = 'none', operatingPoint = DEFAULT_OPERATING_POINT, gate } = this.options;
    const args = [bundleDir, String(threads), runtime, tta, operatingPoint];
    if (gate) args.push(JSON.stringify(gate));
    const child = fork(WORKER_SCRIPT, args, {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'advanced',
    });
    const slot: Slot = { child, ready: false, current: null };
    this.slots.add(slot);
    let fatal: string | null = null;
    child.on('message', (message: WorkerMessage) => {
      if (message.type === 'ready') {
        slot.ready = true;
        this.startupFailures = 0;
        for (const waiter of this.readyWaiters.splice(0)) waiter.resolve();
        this.emitIdle();
      } else if (message.type === 'fatal') fatal = message.reason;
      else if (slot.current && message.id === slot.current.id) {
        const running = slot.current;
        slot.current = null;
        if (message.type === 'done') running.resolve(message.output);
        else running.reject(new Error(message.reason));
        this.emitIdle();
      }
    });
    child.on('error', (err) => (fatal ??= err.message));
    child.on('exit', (code, signal) => {
      this.slots.delete(slot);
      const how = signal ? `signal ${signal}` : `exit code ${code}`;
      slot.current?.reject(new WorkerDiedError(`inference worker ${child.pid} died (${how})`));
      slot.current = null;
      if (this.closed) return;
      if (!slot.ready) this.startupFailures++;
      const reason = `inference worker ${child.pid} ${slot.ready ? 'died' : 'failed to start'} (${fatal ?? how})`;
      this.options.onWorkerProblem?.(reason);
      if (this.startupFailures >= (this.options.maxStartupFailures ?? 3)) {
        this.brokenReason = reason;
        for (const waiter of this.readyWaiters.splice(0)) waiter.reject(new Error(reason));
        return;
      }
      this.spawn();
    });
  }
}
