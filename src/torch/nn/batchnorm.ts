import { Layer } from './module.js';
import { ones, zeros } from '../ops/creation.js';
import { add_, rsqrt } from '../ops/math.js';
import { batchNorm, groupNorm } from '../ops/functional.js';
import { noGrad } from '../grad-mode.js';
import { scope } from '../scope.js';
import type { Tensor } from '../tensor.js';
import { syncBatchNorm, type BatchStatsGroup } from './sync-batchnorm.js';

export interface BatchNormOptions {
  eps?: number;
  momentum?: number;
  affine?: boolean;
  trackRunningStats?: boolean;
}

/** BatchNorm2d with torchvision's state: weight, bias, running_mean, running_var, num_batches_tracked. */
export class BatchNorm2d extends Layer {
  readonly eps: number;
  readonly momentum: number;
  readonly affine: boolean;
  readonly trackRunningStats: boolean;
  /**
   * Training statistics over every rank's batch (SyncBatchNorm; see convertSyncBatchNorm). The state
   * and its names stay BatchNorm2d's, so checkpoints load either way.
   */
  syncGroup: BatchStatsGroup | null = null;

  constructor(
    readonly numFeatures: number,
    options: BatchNormOptions = {},
  ) {
    super();
    this.eps = options.eps ?? 1e-5;
    this.momentum = options.momentum ?? 0.1;
    this.affine = options.affine ?? true;
    this.trackRunningStats = options.trackRunningStats ?? true;
    this.registerParameter('weight', this.affine ? ones([numFeatures]) : null);
    this.registerParameter('bias', this.affine ? zeros([numFeatures]) : null);
    this.registerBuffer('running_mean', this.trackRunningStats ? zeros([numFeatures]) : null);
    this.registerBuffer('running_var', this.trackRunningStats ? ones([numFeatures]) : null);
    this.registerBuffer('num_batches_tracked', this.trackRunningStats ? zeros([], { dtype: 'int64' }) : null);
  }

  #folded = false;

  /** True once foldBatchNorm has moved this layer's eval-mode transform into the convolution before it. */
  get folded(): boolean {
    return this.#folded;
  }

  /**
   * The eval-mode transform as y = x * scale + shift per channel, for folding into the preceding
   * convolution; from then on this layer passes its input through and must not be trained.
   */
  foldOut(): { scale: Tensor; shift: Tensor } {
    if (!this.trackRunningStats) throw new Error('BatchNorm2d without running statistics cannot be folded');
    const folded = scope(() =>
      noGrad(() => {
        const scale = rsqrt(this.buffer('running_var').add(this.eps));
        const weighted = this.affine ? scale.mul(this.param('weight')) : scale;
        const shift = this.buffer('running_mean').neg().mul(weighted);
        return { scale: weighted, shift: this.affine ? shift.add(this.param('bias')) : shift };
      }),
    );
    this.#folded = true;
    return folded;
  }

  forward(input: Tensor): Tensor {
    if (this.#folded) {
      if (this.training) throw new Error('a BatchNorm2d folded into its convolution is for inference only');
      return input;
    }
    const useBatchStats = this.training || !this.trackRunningStats;
    if (this.training && this.trackRunningStats) noGrad(() => add_(this.buffer('num_batches_tracked'), 1));
    // As torch.nn.SyncBatchNorm: evaluation, and a group of one, need no exchange.
    if (this.training && this.syncGroup && this.syncGroup.worldSize > 1)
      return syncBatchNorm(input, this.syncGroup, {
        runningMean: this.trackRunningStats ? this.buffer('running_mean') : null,
        runningVar: this.trackRunningStats ? this.buffer('running_var') : null,
        weight: this.affine ? this.param('weight') : null,
        bias: this.affine ? this.param('bias') : null,
        momentum: this.momentum,
        eps: this.eps,
      });
    return batchNorm(
      input,
      this.trackRunningStats ? this.buffer('running_mean') : null,
      this.trackRunningStats ? this.buffer('running_var') : null,
      this.affine ? this.param('weight') : null,
      this.affine ? this.param('bias') : null,
      useBatchStats,
      this.momentum,
      this.eps,
    );
  }
}

export class GroupNorm extends Layer {
  constructor(
    readonly numGroups: number,
    readonly numChannels: number,
    readonly eps = 1e-5,
  ) {
    super();
    this.registerParameter('weight', ones([numChannels]));
    this.registerParameter('bias', zeros([numChannels]));
  }

  forward(input: Tensor): Tensor {
    return groupNorm(input, this.numGroups, this.param('weight'), this.param('bias'), this.eps);
  }
}
