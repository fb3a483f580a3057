// Learning-rate schedules. Each sets the `lr` of its optimizer's parameter groups, as
// torch.optim.lr_scheduler does: the schedule's value for step 0 at construction, then the next value
// at every step(). A "step" is whatever the training loop calls step() for: once per optimizer step
// (per-iteration schedules) or once per epoch. Their state is plain JSON.

/** What a schedule needs of an optimizer: its groups' learning rates. */
export interface HasParamGroups {
  readonly paramGroups: { lr: number }[];
}

export interface LrSchedule {
  /** Advances one step; ReduceOnPlateau takes the monitored metric. */
  step(metric?: number): void;
  /** The learning rate of each group after the last step. */
  readonly lastLr: number[];
  stateDict(): Record<string, unknown>;
  loadStateDict(state: Record<string, unknown>): void;
}

export class ScheduleStateError extends Error {
  override name = 'ScheduleStateError';
}

function numberField(state: Record<string, unknown>, key: string, schedule: string): number {
  const v = state[key];
  if (typeof v !== 'number') throw new ScheduleStateError(`${schedule}: saved state has no number \`${key}\``);
  return v;
}

/** A schedule whose value is a closed-form function of the step count and each group's initial lr. */
abstract class ClosedFormSchedule implements LrSchedule {
  lastStep = 0;
  baseLrs: number[];

  constructor(protected readonly optimizer: HasParamGroups) {
    this.baseLrs = optimizer.paramGroups.map((g) => g.lr);
  }

  /** The learning rate at step t for a group whose initial lr is base. */
  abstract lrAt(t: number, base: number): number;

  get lastLr(): number[] {
    return this.optimizer.paramGroups.map((g) => g.lr);
  }

  step(): void {
    this.lastStep += 1;
    this.apply();
  }

  protected apply(): void {
    this.optimizer.paramGroups.forEach((g, i) => (g.lr = this.lrAt(this.lastStep, this.baseLrs[i])));
  }

  stateDict(): Record<string, unknown> {
    return { lastStep: this.lastStep, baseLrs: [...this.baseLrs] };
  }

  /** Restores the step count and initial rates, and sets the groups' lr to the restored step's value. */
  loadStateDict(state: Record<string, unknown>): void {
    const name = this.constructor.name;
    const baseLrs = state.baseLrs;
    if (
      !Array.isArray(baseLrs) ||
      baseLrs.length !== this.optimizer.paramGroups.length ||
      !baseLrs.every((v) => typeof v === 'number')
    )
      throw new ScheduleStateError(
        `${name}: saved state needs one base lr per parameter group (${this.optimizer.paramGroups.length})`,
      );
    this.lastStep = numberField(state, 'lastStep', name);
    this.baseLrs = [...baseLrs];
    this.apply();
  }
}

export interface CosineWarmupOptions {
  /** Steps of the whole schedule, warm-up included; after it the lr stays at minLr. */
  totalSteps: number;
  /** Steps of linear warm-up from warmupStartFactor * lr to lr. Default 0. */
  warmupSteps?: number;
  /** Fraction of the lr that warm-up starts from. Default 0. */
  warmupStartFactor?: number;
  /** The lr the cosine ends at. Default 0. */
  minLr?: number;
}

/**
 * Linear warm-up then cosine annealing to minLr: torch's SequentialLR of LinearLR(warmupStartFactor,
 * 1, warmupSteps) and CosineAnnealingLR(totalSteps - warmupSteps, minLr), and with the defaults
 * Hugging Face's get_cosine_schedule_with_warmup.
 */
export class CosineWarmup extends ClosedFormSchedule {
  readonly totalSteps: number;
  readonly warmupSteps: number;
  readonly warmupStartFactor: number;
  readonly minLr: number;

  constructor(optimizer: HasParamGroups, options: CosineWarmupOptions) {
    super(optimizer);
    this.totalSteps = options.totalSteps;
    this.warmupSteps = options.warmupSteps ?? 0;
    this.warmupStartFactor = options.warmupStartFactor ?? 0;
    this.minLr = options.minLr ?? 0;
    if (!Number.isInteger(this.totalSteps) || this.totalSteps < 1)
      throw new Error(`CosineWarmup: totalSteps must be a positive integer, got ${this.totalSteps}`);
    if (!Number.isInteger(this.warmupSteps) || this.warmupSteps < 0 || this.warmupSteps >= this.totalSteps)
      throw new Error(`CosineWarmup: warmupSteps must be an integer in [0, totalSteps), got ${this.warmupSteps}`);
    if (!(this.warmupStartFactor >= 0 && this.warmupStartFactor <= 1))
      throw new Error(`CosineWarmup: warmupStartFactor must be in [0, 1], got ${this.warmupStartFactor}`);
    this.apply();
  }

  lrAt(t: number, base: number): number {
    if (t < this.warmupSteps)
      return base * (this.warmupStartFactor + ((1 - this.warmupStartFactor) * t) / this.warmupSteps);
    if (t >= this.totalSteps) return this.minLr;
    const progress = (t - this.warmupSteps) / (this.totalSteps - this.warmupSteps);
    return this.minLr + ((base - this.minLr) * (1 + Math.cos(Math.PI * progress))) / 2;
  }
}

export interface StepDecayOptions {
  /** Steps between decays. */
  stepSize: number;
  /** Factor applied at each decay. Default 0.1. */
  gamma?: number;
}

/** lr * gamma^floor(t / stepSize), as torch's StepLR. */
export class StepDecay extends ClosedFormSchedule {
  readonly stepSize: number;
  readonly gamma: number;

  constructor(optimizer: HasParamGroups, options: StepDecayOptions) {
    super(optimizer);
    this.stepSize = options.stepSize;
    this.gamma = options.gamma ?? 0.1;
    if (!Number.isInteger(this.stepSize) || this.stepSize < 1)
      throw new Error(`StepDecay: stepSize must be a positive integer, got ${this.stepSize}`);
    this.apply();
  }

  lrAt(t: number, base: number): number {
    return base * this.gamma ** Math.floor(t / this.stepSize);
  }
}

export interface ReduceOnPlateauOptions {
  /** Whether the metric should fall (a loss) or rise (a score). Default 'min'. */
  mode?: 'min' | 'max';
  /** Multiplier of the lr at each reduction. Default 0.1. */
  factor?: number;
  /** Steps without improvement tolerated before reducing. Default 10. */
  patience?: number;
  /** Smallest change counted as an improvement. Default 1e-4. */
  threshold?: number;
  /** 'rel': relative to the best value; 'abs': absolute. Default 'rel'. */
  thresholdMode?: 'rel' | 'abs';
  /** Steps after a reduction during which bad steps are not counted. Default 0. */
  cooldown?: number;
  /** Lower bound of the lr, one for all groups or one per group. Default 0. */
  minLr?: number | number[];
  /** Reductions smaller than this are skipped. Default 1e-8. */
  eps?: number;
}

/** Reduces the lr when a metric stops improving, as torch's ReduceLROnPlateau. */
export class ReduceOnPlateau implements LrSchedule {
  readonly mode: 'min' | 'max';
  readonly factor: number;
  readonly patience: number;
  readonly threshold: number;
  readonly thresholdMode: 'rel' | 'abs';
  readonly cooldown: number;
  readonly minLrs: number[];
  readonly eps: number;
  best: number;
  numBadSteps = 0;
  cooldownCounter = 0;
  lastStep = 0;

  constructor(
    private readonly optimizer: HasParamGroups,
    options: ReduceOnPlateauOptions = {},
  ) {
    this.mode = options.mode ?? 'min';
    this.factor = options.factor ?? 0.1;
    this.patience = options.patience ?? 10;
    this.threshold = options.threshold ?? 1e-4;
    this.thresholdMode = options.thresholdMode ?? 'rel';
    this.cooldown = options.cooldown ?? 0;
    this.eps = options.eps ?? 1e-8;
    const groups = optimizer.paramGroups.length;
    const minLr = options.minLr ?? 0;
    if (Array.isArray(minLr) && minLr.length !== groups)
      throw new Error(`ReduceOnPlateau: expected ${groups} min lrs, got ${minLr.length}`);
    this.minLrs = Array.isArray(minLr) ? [...minLr] : Array(groups).fill(minLr);
    if (!(this.factor < 1)) throw new Error(`ReduceOnPlateau: factor should be < 1.0, got ${this.factor}`);
    if (this.mode !== 'min' && this.mode !== 'max')
      throw new Error(`ReduceOnPlateau: mode ${this.mode} is unknown, use min or max`);
    if (this.thresholdMode !== 'rel' && this.thresholdMode !== 'abs')
      throw new Error(`ReduceOnPlateau: threshold mode ${this.thresholdMode} is unknown, use rel or abs`);
    this.best = this.worst;
  }

  private get worst(): number {
    return this.mode === 'min' ? Infinity : -Infinity;
  }

  get lastLr(): number[] {
    return this.optimizer.paramGroups.map((g) => g.lr);
  }

  isBetter(value: number, best: number): boolean {
    if (this.mode === 'min')
      return this.thresholdMode === 'rel' ? value < best * (1 - this.threshold) : value < best - this.threshold;
    return this.thresholdMode === 'rel' ? value > best * (this.threshold + 1) : value > best + this.threshold;
  }

  step(metric?: number): void {
    if (typeof metric !== 'number') throw new Error('ReduceOnPlateau: step() needs the monitored metric');
    this.lastStep += 1;
    if (this.isBetter(metric, this.best)) {
      this.best = metric;
      this.numBadSteps = 0;
    } else {
      this.numBadSteps += 1;
    }
    if (this.cooldownCounter > 0) {
      this.cooldownCounter -= 1;
      this.numBadSteps = 0;
    }
    if (this.numBadSteps > this.patience) {
      this.optimizer.paramGroups.forEach((g, i) => {
        const reduced = Math.max(g.lr * this.factor, this.minLrs[i]);
        if (g.lr - reduced > this.eps) g.lr = reduced;
      });
      this.cooldownCounter = this.cooldown;
      this.numBadSteps = 0;
    }
  }

  /** The counters and best value; an infinite best (nothing seen yet) is saved as null. */
  stateDict(): Record<string, unknown> {
    return {
      lastStep: this.lastStep,
      best: Number.isFinite(this.best) ? this.best : null,
      numBadSteps: this.numBadSteps,
      cooldownCounter: this.cooldownCounter,
    };
  }

  loadStateDict(state: Record<string, unknown>): void {
    const name = 'ReduceOnPlateau';
    this.lastStep = numberField(state, 'lastStep', name);
    this.best = state.best === null ? this.worst : numberField(state, 'best', name);
    this.numBadSteps = numberField(state, 'numBadSteps', name);
    this.cooldownCounter = numberField(state, 'cooldownCounter', name);
  }
}
