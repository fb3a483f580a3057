// Stochastic gradient descent with momentum, dampening, Nesterov momentum and (coupled) weight decay,
// step for step as torch.optim.SGD's single-tensor implementation (PyTorch 1.13).
import type { Tensor } from '../tensor.js';
import { add, add_, mul_, neg, clone } from '../ops/index.js';
import { Optimizer, type BaseHyperparameters, type ParamGroupSpec, type ParamState } from './optimizer.js';

export interface SGDHyperparameters extends BaseHyperparameters {
  momentum: number;
  dampening: number;
  nesterov: boolean;
  /** Ascend instead of descend. */
  maximize: boolean;
}

export type SGDOptions = Partial<SGDHyperparameters> & { lr: number };

export class SGD extends Optimizer<SGDHyperparameters> {
  constructor(params: Iterable<Tensor> | readonly ParamGroupSpec<SGDHyperparameters>[], options: SGDOptions) {
    super(params, { momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, maximize: false, ...options });
  }

  protected validate(g: SGDHyperparameters): void {
    if (!(g.lr >= 0)) throw new Error(`SGD: invalid learning rate ${g.lr}`);
    if (!(g.momentum >= 0)) throw new Error(`SGD: invalid momentum ${g.momentum}`);
    if (!(g.weightDecay >= 0)) throw new Error(`SGD: invalid weight decay ${g.weightDecay}`);
    if (g.nesterov && (g.momentum <= 0 || g.dampening !== 0))
      throw new Error('SGD: Nesterov momentum requires a momentum and zero dampening');
  }

  protected update(param: Tensor, grad: Tensor, g: SGDHyperparameters, state: ParamState): void {
    let d = g.maximize ? neg(grad) : grad;
    if (g.weightDecay !== 0) d = add(d, param, g.weightDecay);
    if (g.momentum !== 0) {
      let buf = state.buffers.get('momentum_buffer');
      if (!buf) {
        buf = this.buffer(state, 'momentum_buffer', () => clone(d));
      } else {
        add_(mul_(buf, g.momentum), d, 1 - g.dampening);
      }
      d = g.nesterov ? add(d, buf, g.momentum) : buf;
    }
    add_(param, d, -g.lr);
  }
}
