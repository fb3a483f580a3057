// The base of every optimizer: parameter groups with their own hyperparameters, per-parameter state,
// and a state dict for resumed training, laid out as PyTorch's (`state.<index>.<name>` tensors, group
// hyperparameters and parameter indices as JSON).
import { Tensor } from '../tensor.js';
import { scope } from '../scope.js';
import { noGrad } from '../grad-mode.js';

/** Hyperparameters every optimizer has; each optimizer adds its own. */
export interface BaseHyperparameters {
  lr: number;
  weightDecay: number;
}

/** A group of parameters sharing hyperparameters; schedules change `lr` in place. */
export type ParamGroup<H extends BaseHyperparameters> = H & { params: Tensor[] };

/** What a caller passes for one group: its parameters and any hyperparameters that differ from the defaults. */
export type ParamGroupSpec<H extends BaseHyperparameters> = Partial<H> & { params: Iterable<Tensor> };

/** The per-parameter state: a step count where the optimizer keeps one, and named buffers. */
export interface ParamState {
  step: number;
  readonly buffers: Map<string, Tensor>;
}

/** JSON-serialisable part of an optimizer's state dict. */
export interface OptimizerMeta {
  optimizer: string;
  /** Each group's hyperparameters and the indices of its parameters (counted across groups, in order). */
  paramGroups: (Record<string, unknown> & { params: number[] })[];
  /** Step count per parameter index, for parameters that have state. */
  steps: Record<string, number>;
}

/**
 * An optimizer's state for resumed training: the state tensors under `state.<index>.<name>`
 * (`state.0.exp_avg`, `state.3.momentum_buffer`) and everything else as JSON. The tensors are the live
 * state, not copies: save them before the next step.
 */
export interface OptimizerStateDict {
  tensors: Map<string, Tensor>;
  meta: OptimizerMeta;
}

export class OptimizerStateError extends Error {
  override name = 'OptimizerStateError';
}

export abstract class Optimizer<H extends BaseHyperparameters = BaseHyperparameters> {
  readonly paramGroups: ParamGroup<H>[];
  readonly #state = new Map<Tensor, ParamState>();

  constructor(params: Iterable<Tensor> | readonly ParamGroupSpec<H>[], defaults: H) {
    const list = [...(params as Iterable<Tensor | ParamGroupSpec<H>>)];
    const groupSpecs = list.filter((item): item is ParamGroupSpec<H> => !(item instanceof Tensor));
    if (groupSpecs.length > 0 && groupSpecs.length < list.length)
      throw new Error(`${this.constructor.name}: give either tensors or parameter groups, not both`);
    const specs = groupSpecs.length > 0 ? groupSpecs : [{ params: list as Tensor[] } as unknown as ParamGroupSpec<H>];
    const seen = new Set<Tensor>();
    this.paramGroups = specs.map((spec, i) => {
      const tensors = [...spec.params];
      for (const p of tensors) {
        if (seen.has(p))
          throw new Error(`${this.constructor.name}: a parameter appears in more than one group (group ${i})`);
        seen.add(p);
      }
      const group = { ...defaults, ...withoutUndefined(spec), params: tensors } as ParamGroup<H>;
      this.validate(group);
      return group;
    });
    if (seen.size === 0) throw new Error(`${this.constructor.name}: got an empty parameter list`);
  }

  /** Checks one group's hyperparameters, throwing a message that names the bad one. */
  protected abstract validate(group: H): void;

  /** Updates one parameter in place from its gradient; runs under noGrad inside a scope. */
  protected abstract update(param: Tensor, grad: Tensor, group: H, state: ParamState): void;

  /**
   * One optimization step over every parameter that requires grad and has a gradient; frozen
   * parameters and parameters without a gradient are left alone.
   */
  step(): void {
    noGrad(() =>
      scope(() => {
        for (const group of this.paramGroups) {
          for (const p of group.params) {
            if (!p.requiresGrad) continue;
            const grad = p.grad;
            if (grad === null) continue;
            this.update(p, grad, group, this.stateOf(p));
          }
        }
      }),
    );
  }

  /** Drops every parameter's gradient (set_to_none, PyTorch's default since 2.0). */
  zeroGrad(): void {
    for (const group of this.paramGroups) for (const p of group.params) p.zeroGrad();
  }

  /** The state of one parameter, created empty on first use. */
  protected stateOf(param: Tensor): ParamState {
    let state = this.#state.get(param);
    if (!state) {
      state = { step: 0, buffers: new Map() };
      this.#state.set(param, state);
    }
    return state;
  }

  /** A state buffer that outlives the step's scope (made by `init` on first use). */
  protected buffer(state: ParamState, name: string, init: () => Tensor): Tensor {
    let t = state.buffers.get(name);
    if (!t) {
      t = init().keep();
      state.buffers.set(name, t);
    }
    return t;
  }

  stateDict(): OptimizerStateDict {
    const tensors = new Map<string, Tensor>();
    const steps: Record<string, number> = {};
    let index = 0;
    const paramGroups = this.paramGroups.map((group) => {
      const { params, ...hyper } = group;
      const indices: number[] = [];
      for (const p of params) {
        const state = this.#state.get(p);
        if (state) {
          steps[index] = state.step;
          for (const [name, t] of state.buffers) tensors.set(`state.${index}.${name}`, t);
        }
        indices.push(index++);
      }
      return { ...hyper, params: indices };
    });
    return { tensors, meta: { optimizer: this.constructor.name, paramGroups, steps } };
  }

  /**
   * Restores state saved by stateDict() (possibly from another process): the hyperparameters of each
   * group (the learning rate included) and copies of the state tensors. Groups must have the same sizes
   * and the tensors the shapes of their parameters.
   */
  loadStateDict(saved: OptimizerStateDict): void {
    const { meta, tensors } = saved;
    const fail = (reason: string): never => {
      throw new OptimizerStateError(`${this.constructor.name}: cannot load optimizer state: ${reason}`);
    };
    if (meta.optimizer !== this.constructor.name) fail(`it was saved by ${meta.optimizer}`);
    if (meta.paramGroups.length !== this.paramGroups.length)
      fail(`it has ${meta.paramGroups.length} parameter groups, this optimizer ${this.paramGroups.length}`);
    const paramsByIndex = new Map<number, Tensor>();
    meta.paramGroups.forEach((savedGroup, g) => {
      const own = this.paramGroups[g].params;
      if (savedGroup.params.length !== own.length)
        fail(`group ${g} has ${savedGroup.params.length} parameters, this optimizer's ${own.length}`);
      savedGroup.params.forEach((index, i) => paramsByIndex.set(index, own[i]));
    });
    const incoming = new Map<Tensor, ParamState>();
    for (const [key, t] of tensors) {
      const match = /^state\.(\d+)\.(.+)$/.exec(key);
      if (!match) fail(`unexpected tensor ${key}`);
      const param = paramsByIndex.get(Number(match![1]));
      if (!param) fail(`tensor ${key} names no parameter`);
      if (t.shape.join('x') !== param!.shape.join('x'))
        fail(`${key} has shape [${t.shape}], its parameter [${param!.shape}]`);
      let state = incoming.get(param!);
      if (!state) incoming.set(param!, (state = { step: 0, buffers: new Map() }));
      state.buffers.set(match![2], t);
    }
    for (const [index, step] of Object.entries(meta.steps)) {
      const param = paramsByIndex.get(Number(index));
      if (!param) fail(`a step count names parameter ${index}, which does not exist`);
      let state = incoming.get(param!);
      if (!state) incoming.set(param!, (state = { step: 0, buffers: new Map() }));
      state.step = step;
    }
    // Everything checked: now replace, copying onto the parameter's device and dtype.
    this.disposeState();
    for (const [param, state] of incoming) {
      const buffers = new Map<string, Tensor>();
      for (const [name, t] of state.buffers)
        buffers.set(name, noGrad(() => scope(() => t.to(param.dtype).to(param.device).clone())).keep());
      this.#state.set(param, { step: state.step, buffers });
    }
    meta.paramGroups.forEach((savedGroup, g) => {
      const { params: _indices, ...hyper } = savedGroup;
      Object.assign(this.paramGroups[g], hyper);
    });
  }

  /** Releases the state tensors (not the parameters). */
  dispose(): void {
    this.disposeState();
  }

  private disposeState(): void {
    for (const state of this.#state.values()) for (const t of state.buffers.values()) t.dispose();
    this.#state.clear();
  }
}

function withoutUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
