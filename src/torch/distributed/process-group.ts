// One rank's membership of a process group: PyTorch's c10d Gloo group, rendezvous over a TCPStore
// that rank 0 serves at MASTER_ADDR:MASTER_PORT (torch.distributed.init_process_group('gloo') does the
// same). Collectives block until every rank has taken part; a timeout or a lost peer becomes a
// DistributedError naming the rank and the collective, never a hang.
import { native, type NativeProcessGroup } from '../native.js';
import { Tensor } from '../tensor.js';
import { div_, tensor } from '../ops/index.js';
import { scope } from '../scope.js';
import { localAddressToward } from './local-address.js';

export class DistributedError extends Error {
  override name = 'DistributedError';
}

export type ReduceOp = 'sum' | 'avg' | 'max' | 'min' | 'product';

export interface ProcessGroupOptions {
  rank: number;
  worldSize: number;
  masterAddr: string;
  masterPort: number;
  /** Rendezvous and every collective; default 300 s. */
  timeoutMs?: number;
  /** The network interface Gloo uses (GLOO_SOCKET_IFNAME); default: the one that routes to the master. */
  interface?: string;
}

/** As torch.distributed: 256 MiB messages when broadcasting many tensors at once. */
const BROADCAST_BUFFER_BYTES = 256 * 1024 * 1024;
export const DEFAULT_TIMEOUT_MS = 300_000;

function checkRank(rank: number, worldSize: number): void {
  if (!Number.isInteger(worldSize) || worldSize < 1)
    throw new DistributedError(`world size must be a positive integer, received ${worldSize}`);
  if (!Number.isInteger(rank) || rank < 0 || rank >= worldSize)
    throw new DistributedError(`rank must be an integer in [0, ${worldSize - 1}], received ${rank}`);
}

export class ProcessGroup {
  #native: NativeProcessGroup | null;

  private constructor(
    handle: NativeProcessGroup,
    readonly rank: number,
    readonly worldSize: number,
    readonly timeoutMs: number,
  ) {
    this.#native = handle;
  }

  /** Joins the group; resolves once every rank has joined (or rejects after the timeout). */
  static async init(options: ProcessGroupOptions): Promise<ProcessGroup> {
    const { rank, worldSize, masterAddr, masterPort } = options;
    checkRank(rank, worldSize);
    if (!Number.isInteger(masterPort) || masterPort < 1 || masterPort > 65535)
      throw new DistributedError(`master port must be an integer in [1, 65535], received ${masterPort}`);
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const where = options.interface ? {} : { localAddress: await localAddressToward(masterAddr, masterPort) };
    try {
      const handle = new native.ProcessGroup({
        masterAddr,
        masterPort,
        rank,
        worldSize,
        timeoutMs,
        ...where,
        ...(options.interface ? { interface: options.interface } : {}),
      });
      return new ProcessGroup(handle, rank, worldSize, timeoutMs);
    } catch (err) {
      throw new DistributedError(
        `rank ${rank} of ${worldSize}: rendezvous at ${masterAddr}:${masterPort} failed (timeout ${timeoutMs / 1000} s): ${firstLine((err as Error).message)}`,
      );
    }
  }

  /** The native group, for src/torch/distributed internals only. */
  get handle(): NativeProcessGroup {
    if (!this.#native) throw new DistributedError('process group used after close()');
    return this.#native;
  }

  /** Runs `fn` on the native group; its failure becomes a DistributedError naming this rank and `what`. */
  guard<T>(what: string, fn: (group: NativeProcessGroup) => T): T {
    try {
      return fn(this.handle);
    } catch (err) {
      if (err instanceof DistributedError) throw err;
      throw new DistributedError(
        `rank ${this.rank} of ${this.worldSize}: ${what} failed (timeout ${this.timeoutMs / 1000} s): ${firstLine((err as Error).message)}`,
      );
    }
  }

  /** Reduces each tensor in place across the ranks ('avg' = sum / world size, as Gloo has no AVG). */
  allReduce(tensors: Tensor | readonly Tensor[], op: ReduceOp = 'sum'): void {
    const list = tensors instanceof Tensor ? [tensors] : [...tensors];
    if (list.length === 0) return;
    this.guard('all-reduce', (g) =>
      g.allReduce(
        list.map((t) => t.handle),
        op === 'avg' ? 'sum' : op,
      ),
    );
    if (op === 'avg') for (const t of list) div_(t, this.worldSize);
  }

  /**
   * The sum of `t` over the ranks as a new tensor, differentiable: its backward all-reduces the
   * gradient (torch.distributed.nn.functional.all_reduce). Sync batch norm's statistics use it.
   */
  allReduceWithGrad(t: Tensor): Tensor {
    return new Tensor(this.guard('all-reduce', (g) => g.allReduceWithGrad(t.handle)));
  }

  /** Plain numbers reduced across the ranks (loss sums, counts), in float64. */
  allReduceNumbers(values: readonly number[], op: ReduceOp = 'sum'): number[] {
    const t = tensor(Float64Array.from(values), [values.length]);
    try {
      this.allReduce(t, op);
      return Array.from(t.data() as Float64Array);
    } finally {
      t.dispose();
    }
  }

  /** Overwrites `t` on every rank with its value on `root`. */
  broadcast(t: Tensor, root = 0): void {
    this.guard('broadcast', (g) => g.broadcast(t.handle, root));
  }

  /** Many tensors from `root`, packed into a few flat messages (DDP's start-up broadcast). */
  broadcastCoalesced(tensors: readonly Tensor[], root = 0): void {
    this.guard('broadcast', (g) =>
      g.broadcastCoalesced(
        tensors.map((t) => t.handle),
        root,
        BROADCAST_BUFFER_BYTES,
      ),
    );
  }

  /** Every rank's `t`, in rank order (new tensors owned by the current scope). */
  allGather(t: Tensor): Tensor[] {
    return this.guard('all-gather', (g) => g.allGather(t.handle)).map((h) => new Tensor(h));
  }

  /**
   * Every rank's list of numbers (of any length, in float64), in rank order: the lengths are gathered
   * first, then the lists padded to the longest; the padding is cut off again.
   */
  allGatherNumbers(values: readonly number[]): number[][] {
    return scope(() => {
      const lengths = this.allGather(tensor(Float64Array.of(values.length), [1])).map((t) => t.item());
      const longest = Math.max(...lengths);
      if (longest === 0) return lengths.map(() => []);
      const padded = new Float64Array(longest);
      padded.set(values);
      return this.allGather(tensor(padded, [longest])).map((t, r) =>
        Array.from(t.data() as Float64Array).slice(0, lengths[r]),
      );
    });
  }

  barrier(): void {
    this.guard('barrier', (g) => g.barrier());
  }

  /** Leaves the group (rank 0 stops serving the store). */
  close(): void {
    this.#native?.close();
    this.#native = null;
  }
}

function firstLine(message: string): string {
  return message.split('\n').find((l) => l.trim() !== '') ?? message;
}
