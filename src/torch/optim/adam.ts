// Adam and AdamW, step for step as torch.optim.Adam / AdamW's single-tensor implementation
// (PyTorch 1.13): bias corrections in double precision, eps added after dividing by the corrected
// second moment's square root, AMSGrad optional. They differ only in the weight decay: Adam adds it to
// the gradient (L2), AdamW shrinks the parameter before the update (decoupled).
import type { Tensor } from '../tensor.js';
import { add, add_, addcdiv_, addcmul_, div, maximum, mul_, neg, sqrt, zerosLike } from '../ops/index.js';
import { Optimizer, type BaseHyperparameters, type ParamGroupSpec, type ParamState } from './optimizer.js';

export interface AdamHyperparameters extends BaseHyperparameters {
  betas: [number, number];
  eps: number;
  amsgrad: boolean;
  /** Ascend instead of descend. */
  maximize: boolean;
}

export type AdamOptions = Partial<AdamHyperparameters>;
type Params = Iterable<Tensor> | readonly ParamGroupSpec<AdamHyperparameters>[];

abstract class AdamBase extends Optimizer<AdamHyperparameters> {
  protected abstract readonly decoupled: boolean;

  protected validate(g: AdamHyperparameters): void {
    const name = this.constructor.name;
    if (!(g.lr >= 0)) throw new Error(`${name}: invalid learning rate ${g.lr}`);
    if (!(g.eps >= 0)) throw new Error(`${name}: invalid epsilon ${g.eps}`);
    g.betas.forEach((b, i) => {
      if (!(b >= 0 && b < 1)) throw new Error(`${name}: invalid beta parameter at index ${i}: ${b}`);
    });
    if (!(g.weightDecay >= 0)) throw new Error(`${name}: invalid weight decay ${g.weightDecay}`);
  }

  protected update(param: Tensor, gradient: Tensor, g: AdamHyperparameters, state: ParamState): void {
    const [beta1, beta2] = g.betas;
    let grad = g.maximize ? neg(gradient) : gradient;
    const expAvg = this.buffer(state, 'exp_avg', () => zerosLike(param));
    const expAvgSq = this.buffer(state, 'exp_avg_sq', () => zerosLike(param));
    state.step += 1;
    if (this.decoupled) {
      if (g.weightDecay !== 0) mul_(param, 1 - g.lr * g.weightDecay);
    } else if (g.weightDecay !== 0) {
      grad = add(grad, param, g.weightDecay);
    }
    add_(mul_(expAvg, beta1), grad, 1 - beta1);
    addcmul_(mul_(expAvgSq, beta2), grad, grad, 1 - beta2);
    const biasCorrection1 = 1 - beta1 ** state.step;
    const biasCorrection2Sqrt = Math.sqrt(1 - beta2 ** state.step);
    const stepSize = g.lr / biasCorrection1;
    let second = expAvgSq;
    if (g.amsgrad) {
      second = this.buffer(state, 'max_exp_avg_sq', () => zerosLike(param));
      second.copy_(maximum(second, expAvgSq));
    }
    const denom = add_(div(sqrt(second), biasCorrection2Sqrt), g.eps);
    addcdiv_(param, expAvg, denom, -stepSize);
  }
}

// torch.optim's defaults: Adam and AdamW differ only in the weight decay.
const adamDefaults = (weightDecay: number): AdamHyperparameters => ({
  lr: 1e-3,
  betas: [0.9, 0.999],
  eps: 1e-8,
  weightDecay,
  amsgrad: false,
  maximize: false,
});

export class Adam extends AdamBase {
  protected readonly decoupled = false;
  constructor(params: Params, options: AdamOptions = {}) {
    super(params, { ...adamDefaults(0), ...options });
  }
}

export class AdamW extends AdamBase {
  protected readonly decoupled = true;
  constructor(params: Params, options: AdamOptions = {}) {
    super(params, { ...adamDefaults(1e-2), ...options });
  }
}
