// Distributed data parallel for one module, as torch.nn.parallel.DistributedDataParallel does it with
// c10d's own Reducer: parameters and buffers are broadcast from rank 0 at the start; before every
// training forward the buffers (batch-norm statistics) are broadcast again; during backward each
// bucket of gradients is all-reduced as soon as it is complete, overlapping the rest of the backward
// pass; when backward returns, every gradient is the average over the ranks.
import { native, type NativeReducer } from '../native.js';
import type { Tensor } from '../tensor.js';
import type { Module } from '../nn/module.js';
import { noGrad } from '../grad-mode.js';
import type { ProcessGroup } from './process-group.js';

export interface DataParallelOptions {
  /** Bucket size for the gradient all-reduce; PyTorch's default is 25 MiB. */
  bucketMiB?: number;
  /** Broadcast rank 0's buffers before every training forward (PyTorch's default: yes). */
  broadcastBuffers?: boolean;
}

const MIB = 1024 * 1024;
/** PyTorch's dist._DEFAULT_FIRST_BUCKET_BYTES: a small first bucket starts communication early. */
const FIRST_BUCKET_BYTES = 1 * MIB;

export class DataParallel {
  readonly bucketBytes: number;
  readonly broadcastBuffers: boolean;
  #reducer: NativeReducer | null = null;
  #reduced: Tensor[] = [];

  constructor(
    readonly group: ProcessGroup,
    readonly module: Module,
    options: DataParallelOptions = {},
  ) {
    this.bucketBytes = Math.round((options.bucketMiB ?? 25) * MIB);
    if (!(this.bucketBytes > 0)) throw new Error(`bucket size must be positive, received ${options.bucketMiB} MiB`);
    this.broadcastBuffers = options.broadcastBuffers ?? true;
    this.syncState();
  }

  /** Every rank takes rank 0's parameters and buffers (at the start, and after loading a checkpoint). */
  syncState(): void {
    noGrad(() => this.group.broadcastCoalesced([...this.module.parameters(), ...this.buffers()], 0));
  }

  private buffers(): Tensor[] {
    return [...this.module.namedBuffers()].map(([, b]) => b);
  }

  /** Call before the forward pass of every training step (on every rank, in step). */
  beforeForward(): void {
    const trainable = this.module.parameters().filter((p) => p.requiresGrad);
    // Freezing or unfreezing changes which gradients exist: the buckets are built anew, as DDP needs.
    if (!this.#reducer || !sameTensors(trainable, this.#reduced)) {
      this.#reducer?.dispose();
      this.#reducer = null;
      if (trainable.length === 0) throw new Error('data parallel: the module has no trainable parameter');
      this.#reducer = new native.Reducer(
        this.group.handle,
        trainable.map((p) => p.handle),
        this.bucketBytes,
        Math.min(FIRST_BUCKET_BYTES, this.bucketBytes),
      );
      this.#reduced = trainable;
    }
    this.reducerCall('prepareForward');
    if (this.broadcastBuffers) {
      const buffers = this.buffers();
      if (buffers.length > 0) noGrad(() => this.group.broadcastCoalesced(buffers, 0));
    }
  }

  /** The loss's backward pass, with every rank's gradients averaged when it returns. */
  backward(loss: Tensor): void {
    this.reducerCall('prepareBackward');
    this.group.guard('gradient all-reduce', () => loss.backward());
  }

  private reducerCall(what: 'prepareForward' | 'prepareBackward'): void {
    const reducer = this.#reducer;
    if (!reducer) throw new Error('data parallel: beforeForward() must come first');
    this.group.guard('gradient bucketing', () => reducer[what]());
  }

  dispose(): void {
    this.#reducer?.dispose();
    this.#reducer = null;
    this.#reduced = [];
  }
}

function sameTensors(a: readonly Tensor[], b: readonly Tensor[]): boolean {
  return a.length === b.length && a.every((t, i) => t === b[i]);
}
