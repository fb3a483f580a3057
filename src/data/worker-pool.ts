// A small pool of worker_threads running one kind of task, for the loader and for prediction.
// Each worker runs one task at a time; tasks queue in order. Results come back through transfer
// lists (no copies). A worker that crashes or overruns its time limit rejects its own task only and
// is replaced; workers that keep dying before they are ready (a script that fails on load) stop the
// pool with the reason instead of respawning forever. close() lets running tasks finish for a grace period, then
// terminates: a worker holding a native library (sharp) mid-call is best not killed (sharp#2263).
import { Worker, parentPort, type TransferListItem } from 'node:worker_threads';

export class WorkerPoolError extends Error {
  override name = 'WorkerPoolError';
}
export class PoolClosedError extends WorkerPoolError {
  override name = 'PoolClosedError';
  constructor() {
    super('the worker pool is closed');
  }
}
export class WorkerCrashedError extends WorkerPoolError {
  override name = 'WorkerCrashedError';
}
export class TaskTimeoutError extends WorkerPoolError {
  override name = 'TaskTimeoutError';
}
/** The task's handler threw inside the worker; the message is the handler's. */
export class WorkerTaskError extends WorkerPoolError {
  override name = 'WorkerTaskError';
}

export interface WorkerPoolOptions {
  size: number;
  workerData?: unknown;
  /** A task running longer rejects with TaskTimeoutError and its worker is replaced; 0 = no limit. */
  taskTimeoutMs?: number;
  /** How long close() waits for running tasks before terminating their workers. */
  closeGraceMs?: number;
  /** Workers in a row dying before they report ready, after which the pool gives up. */
  maxStartupFailures?: number;
}

type TaskMessage = { type: 'task'; id: number; task: unknown } | { type: 'close' };
type ReplyMessage =
  | { type: 'ready' }
  | { type: 'reply'; id: number; ok: true; result: unknown }
  | { type: 'reply'; id: number; ok: false; error: string };

interface Pending {
  id: number;
  task: unknown;
  transfer: readonly TransferListItem[];
  resolve(value: unknown): void;
  reject(error: Error): void;
}

interface Slot {
  worker: Worker;
  current: Pending | null;
  timer: NodeJS.Timeout | null;
  timedOut: boolean;
  ready: boolean;
  lastError: Error | null;
  exited: Promise<void>;
}

export class WorkerPool<In, Out> {
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private nextId = 0;
  private closing: Promise<void> | null = null;
  private startupFailures = 0;
  private readyWaiters: { resolve(): void; reject(err: Error): void }[] = [];
  private brokenReason: string | null = null;
  private readonly options: Required<Omit<WorkerPoolOptions, 'workerData'>> & { workerData?: unknown };

  constructor(
    private readonly script: URL,
    options: WorkerPoolOptions,
  ) {
    if (!Number.isInteger(options.size) || options.size < 1)
      throw new WorkerPoolError(`Expected a positive integer worker count but received ${options.size}`);
    this.options = { taskTimeoutMs: 0, closeGraceMs: 5000, maxStartupFailures: 3, ...options };
    for (let i = 0; i < options.size; i++) this.spawn();
  }

  /** Live workers. */
  get size(): number {
    return this.slots.length;
  }

  /** Tasks queued or running. */
  get pending(): number {
    return this.queue.length + this.slots.filter((s) => s.current).length;
  }

  get closed(): boolean {
    return this.closing !== null;
  }

  /** Resolves once every worker has started (rejects if the pool gives up on starting them). */
  whenReady(): Promise<void> {
    if (this.brokenReason) return Promise.reject(new WorkerCrashedError(this.brokenReason));
    if (this.slots.every((s) => s.ready)) return Promise.resolve();
    const ready = new Promise<void>((resolve, reject) => this.readyWaiters.push({ resolve, reject }));
    this.updateRefs();
    return ready;
  }

  /** True once `maxStartupFailures` workers in a row died before being ready: every task is refused. */
  get broken(): boolean {
    return this.brokenReason !== null;
  }

  run(task: In, transfer: readonly TransferListItem[] = []): Promise<Out> {
    if (this.closing) return Promise.reject(new PoolClosedError());
    if (this.brokenReason) return Promise.reject(new WorkerCrashedError(this.brokenReason));
    return new Promise<Out>((resolve, reject) => {
      this.queue.push({ id: this.nextId++, task, transfer, resolve: resolve as (v: unknown) => void, reject });
      this.dispatch();
    });
  }

  close(): Promise<void> {
    if (this.closing) return this.closing;
    const closed = new PoolClosedError();
    for (const p of this.queue.splice(0)) p.reject(closed);
    for (const slot of this.slots) {
      // The caller stops waiting now; the worker finishes its task and exits on its own, or is terminated after the grace period.
      slot.current?.reject(closed);
      slot.worker.postMessage({ type: 'close' } satisfies TaskMessage);
    }
    const exits = this.slots.map((s) => s.exited);
    const grace = setTimeout(() => {
      for (const slot of this.slots) void slot.worker.terminate();
    }, this.options.closeGraceMs);
    this.closing = Promise.all(exits).then(() => clearTimeout(grace));
    this.updateRefs();
    return this.closing;
  }

  private spawn(): void {
    const worker = new Worker(this.script, { workerData: this.options.workerData });
    let onExit: () => void = () => {};
    const slot: Slot = {
      worker,
      current: null,
      timer: null,
      timedOut: false,
      ready: false,
      lastError: null,
      exited: new Promise<void>((r) => (onExit = r)),
    };
    worker.on('message', (msg: ReplyMessage) => this.onReply(slot, msg));
    worker.on('error', (err) => (slot.lastError = err));
    worker.on('exit', (code) => {
      this.onExit(slot, code);
      onExit();
    });
    worker.unref();
    this.slots.push(slot);
  }

  // Workers keep the process alive only while there is work for them (queued or running), so a pool
  // that is never closed does not hang the process at exit.
  private updateRefs(): void {
    for (const slot of this.slots) {
      if (this.closing || slot.current || this.queue.length > 0 || (!slot.ready && this.readyWaiters.length > 0))
        slot.worker.ref();
      else slot.worker.unref();
    }
  }

  private dispatch(): void {
    this.assign();
    this.updateRefs();
  }

  private assign(): void {
    for (const slot of this.slots) {
      if (this.queue.length === 0) return;
      // Not before the worker is ready: a task's time limit must not include the worker's start-up.
      if (slot.current || !slot.ready) continue;
      const p = this.queue.shift()!;
      slot.current = p;
      if (this.options.taskTimeoutMs > 0) {
        slot.timer = setTimeout(() => {
          slot.timedOut = true;
          void slot.worker.terminate();
        }, this.options.taskTimeoutMs);
      }
      try {
        slot.worker.postMessage({ type: 'task', id: p.id, task: p.task } satisfies TaskMessage, p.transfer);
      } catch (err) {
        // The task could not be cloned (a function, a detached buffer): its own failure, not the worker's.
        this.finish(slot);
        p.reject(new WorkerPoolError(`task could not be sent to a worker: ${(err as Error).message}`));
      }
    }
  }

  private finish(slot: Slot): void {
    if (slot.timer) clearTimeout(slot.timer);
    slot.timer = null;
    slot.current = null;
    this.updateRefs();
  }

  private onReply(slot: Slot, msg: ReplyMessage): void {
    if (msg.type === 'ready') {
      slot.ready = true;
      this.startupFailures = 0;
      if (this.slots.every((x) => x.ready)) for (const w of this.readyWaiters.splice(0)) w.resolve();
      this.updateRefs();
      if (!this.closing) this.dispatch();
      return;
    }
    const p = slot.current;
    if (!p || p.id !== msg.id) return;
    this.finish(slot);
    if (msg.ok) p.resolve(msg.result);
    else p.reject(new WorkerTaskError(msg.error));
    if (!this.closing) this.dispatch();
  }

  private onExit(slot: Slot, code: number): void {
    const index = this.slots.indexOf(slot);
    if (index >= 0) this.slots.splice(index, 1);
    const p = slot.current;
    this.finish(slot);
    if (this.closing) return;
    const reason = slot.timedOut
      ? `task ran longer than ${this.options.taskTimeoutMs} ms; its worker was stopped`
      : `worker exited with code ${code}${slot.lastError ? `: ${slot.lastError.message}` : ''}`;
    // A worker that served tasks died of one of them; one that never got ready cannot run at all.
    if (!slot.ready && ++this.startupFailures >= this.options.maxStartupFailures) {
      this.brokenReason = `workers failed to start ${this.startupFailures} times in a row; last: ${reason}`;
      const err = new WorkerCrashedError(this.brokenReason);
      p?.reject(err);
      for (const q of this.queue.splice(0)) q.reject(err);
      for (const w of this.readyWaiters.splice(0)) w.reject(err);
      return;
    }
    if (p) p.reject(slot.timedOut ? new TaskTimeoutError(reason) : new WorkerCrashedError(reason));
    this.spawn();
    this.dispatch();
  }
}

export interface TaskReply<Out> {
  result: Out;
  transfer?: TransferListItem[];
}

/**
 * The worker side: call once at the top of a worker script. The handler runs one task at a time; a
 * thrown error goes back as the task's rejection (the worker lives on).
 */
export function serveTasks<In, Out>(handler: (task: In) => Promise<TaskReply<Out>> | TaskReply<Out>): void {
  const port = parentPort;
  if (!port) throw new WorkerPoolError('serveTasks() must run inside a worker thread');
  let busy = false;
  let closeRequested = false;
  port.postMessage({ type: 'ready' } satisfies ReplyMessage);
  port.on('message', async (msg: TaskMessage) => {
    if (msg.type === 'close') {
      closeRequested = true;
      if (!busy) process.exit(0);
      return;
    }
    busy = true;
    let reply: ReplyMessage;
    let transfer: TransferListItem[] = [];
    try {
      const out = await handler(msg.task as In);
      reply = { type: 'reply', id: msg.id, ok: true, result: out.result };
      transfer = out.transfer ?? [];
    } catch (err) {
      reply = { type: 'reply', id: msg.id, ok: false, error: err instanceof Error ? err.message : String(err) };
    }
    port.postMessage(reply, transfer);
    busy = false;
    if (closeRequested) process.exit(0);
  });
}
