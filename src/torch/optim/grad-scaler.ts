// Dynamic loss scaling for fp16 training, with the semantics of PyTorch's torch.cuda.amp.GradScaler:
// the loss is multiplied by `scale` before backward so that small fp16 gradients do not flush to
// zero; before the optimizer step the gradients are divided by it again and checked. A step whose
// gradients hold an inf or NaN is skipped and the scale backs off (x0.5); after `growthInterval`
// clean steps in a row it grows (x2). The logic is here in TypeScript; the tensors may live anywhere.
import type { Tensor } from '../tensor.js';
import { scope } from '../scope.js';
import { noGrad } from '../grad-mode.js';
import { mul, mul_, stack, sum } from '../ops/index.js';
import type { Optimizer } from './optimizer.js';

export interface GradScalerOptions {
  /** Starting scale; PyTorch's default 2^16. */
  initScale?: number;
  growthFactor?: number;
  backoffFactor?: number;
  /** Clean steps in a row before the scale grows. */
  growthInterval?: number;
  /** false: every call is a pass-through (fp32 and bf16 need no scaling). */
  enabled?: boolean;
}

export interface GradScalerState {
  scale: number;
  growthTracker: number;
}

export class GradScaler {
  scale: number;
  readonly growthFactor: number;
  readonly backoffFactor: number;
  readonly growthInterval: number;
  readonly enabled: boolean;
  /** Clean steps since the scale last changed. */
  growthTracker = 0;
  #unscaled = false;
  #foundInf = false;

  constructor(options: GradScalerOptions = {}) {
    this.scale = options.initScale ?? 2 ** 16;
    this.growthFactor = options.growthFactor ?? 2;
    this.backoffFactor = options.backoffFactor ?? 0.5;
    this.growthInterval = options.growthInterval ?? 2000;
    this.enabled = options.enabled ?? true;
    if (!(this.scale > 0) || !(this.growthFactor > 1) || !(this.backoffFactor > 0 && this.backoffFactor < 1))
      throw new RangeError('GradScaler: expected scale > 0, growthFactor > 1 and 0 < backoffFactor < 1');
  }

  /** The loss to call backward() on. */
  scaleLoss(loss: Tensor): Tensor {
    return this.enabled ? mul(loss, this.scale) : loss;
  }

  /**
   * Divides the gradients by the scale in place (call it before clipping) and records whether any is
   * non-finite. Once per step; step() calls it if the caller did not.
   */
  unscale(parameters: Iterable<Tensor>): void {
    if (!this.enabled || this.#unscaled) return;
    this.#unscaled = true;
    const inverse = 1 / this.scale;
    this.#foundInf = noGrad(() =>
      scope(() => {
        const grads = [...parameters].map((p) => p.grad).filter((g): g is Tensor => g !== null);
        if (grads.length === 0) return false;
        for (const g of grads) mul_(g, inverse);
        // One host sync: any inf or NaN element makes its sum, and the sum of sums, non-finite.
        const device = grads[0].device;
        const sums = grads.map((g) => {
          const s = sum(g.float());
          return s.device === device ? s : s.to(device);
        });
        return !Number.isFinite(sum(stack(sums)).item() as number);
      }),
    );
  }

  /** Steps the optimizer unless the gradients were non-finite; returns whether it stepped. */
  step(optimizer: Optimizer, parameters: Iterable<Tensor>): boolean {
    if (!this.enabled) {
      optimizer.step();
      return true;
    }
    this.unscale(parameters);
    if (this.#foundInf) return false;
    optimizer.step();
    return true;
  }

  /** Adjusts the scale after a step: back off after a skipped one, grow after growthInterval clean ones. */
  update(): void {
    if (!this.enabled) return;
    if (!this.#unscaled) throw new Error('GradScaler.update() without unscale() or step() in this iteration');
    if (this.#foundInf) {
      this.scale *= this.backoffFactor;
      this.growthTracker = 0;
    } else if (++this.growthTracker >= this.growthInterval) {
      this.scale *= this.growthFactor;
      this.growthTracker = 0;
    }
    this.#unscaled = false;
    this.#foundInf = false;
  }

  stateDict(): GradScalerState {
    return { scale: this.scale, growthTracker: this.growthTracker };
  }

  loadStateDict(state: GradScalerState): void {
    this.scale = state.scale;
    this.growthTracker = state.growthTracker;
  }
}
