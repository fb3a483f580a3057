// The base of every layer and model: named parameters, buffers and children with PyTorch's dotted
// names, train/eval mode, and state dicts that load torchvision's weights by name.
import { Tensor } from '../tensor.js';
import { noGrad } from '../grad-mode.js';
import { toDevice } from '../ops/shape.js';

export class StateDictError extends Error {
  override name = 'StateDictError';
  constructor(
    readonly missing: string[],
    readonly unexpected: string[],
    readonly misshaped: string[],
  ) {
    const parts: string[] = [];
    const list = (label: string, keys: string[]) => {
      if (keys.length > 0)
        parts.push(`${label} (${keys.length}): ${keys.slice(0, 12).join(', ')}${keys.length > 12 ? ', ...' : ''}`);
    };
    list('missing keys', missing);
    list('unexpected keys', unexpected);
    list('mis-shaped keys', misshaped);
    super(`state dict does not match the model: ${parts.join('; ')}`);
  }
}

export interface LoadResult {
  missing: string[];
  unexpected: string[];
}

export abstract class Module {
  training = true;
  readonly #parameters = new Map<string, Tensor | null>();
  readonly #buffers = new Map<string, Tensor | null>();
  readonly #children = new Map<string, Module>();

  /** Registers a trainable tensor under `name`; it outlives every scope and requires grad. */
  protected registerParameter(name: string, value: Tensor | null): Tensor | null {
    if (value) {
      value.keep();
      if (!value.requiresGrad) value.requiresGrad = true;
    }
    this.#parameters.set(name, value);
    return value;
  }

  /** Registers a tensor that is state but not trained (BatchNorm running statistics). */
  protected registerBuffer(name: string, value: Tensor | null): Tensor | null {
    value?.keep();
    this.#buffers.set(name, value);
    return value;
  }

  protected registerModule<M extends Module>(name: string, module: M): M {
    this.#children.set(name, module);
    return module;
  }

  /** Replaces a registered child (e.g. an encoder's first conv adapted to one channel). */
  protected replaceModule<M extends Module>(name: string, module: M): M {
    if (!this.#children.has(name)) throw new Error(`no child module named ${name}`);
    this.#children.set(name, module);
    return module;
  }

  param(name: string): Tensor {
    const t = this.#parameters.get(name);
    if (!t) throw new Error(`${this.constructor.name} has no parameter ${name}`);
    return t;
  }

  buffer(name: string): Tensor {
    const t = this.#buffers.get(name);
    if (!t) throw new Error(`${this.constructor.name} has no buffer ${name}`);
    return t;
  }

  child<M extends Module = Module>(name: string): M {
    const m = this.#children.get(name);
    if (!m) throw new Error(`${this.constructor.name} has no child module ${name}`);
    return m as M;
  }

  *namedChildren(): Generator<[string, Module]> {
    yield* this.#children;
  }

  *namedModules(prefix = ''): Generator<[string, Module]> {
    yield [prefix, this];
    for (const [name, child] of this.#children) yield* child.namedModules(prefix ? `${prefix}.${name}` : name);
  }

  *namedParameters(prefix = ''): Generator<[string, Tensor]> {
    for (const [name, p] of this.#parameters) if (p) yield [prefix ? `${prefix}.${name}` : name, p];
    for (const [name, child] of this.#children) yield* child.namedParameters(prefix ? `${prefix}.${name}` : name);
  }

  *namedBuffers(prefix = ''): Generator<[string, Tensor]> {
    for (const [name, b] of this.#buffers) if (b) yield [prefix ? `${prefix}.${name}` : name, b];
    for (const [name, child] of this.#children) yield* child.namedBuffers(prefix ? `${prefix}.${name}` : name);
  }

  parameters(): Tensor[] {
    return [...this.namedParameters()].map(([, p]) => p);
  }

  /** Number of scalar parameters (trainable only if asked). */
  parameterCount(trainableOnly = false): number {
    return this.parameters()
      .filter((p) => !trainableOnly || p.requiresGrad)
      .reduce((n, p) => n + p.numel, 0);
  }

  /** Parameters and buffers in PyTorch's state_dict order: own parameters, own buffers, then children. */
  stateDict(prefix = ''): Map<string, Tensor> {
    const out = new Map<string, Tensor>();
    for (const [name, p] of this.#parameters) if (p) out.set(prefix ? `${prefix}.${name}` : name, p);
    for (const [name, b] of this.#buffers) if (b) out.set(prefix ? `${prefix}.${name}` : name, b);
    for (const [name, child] of this.#children)
      for (const [k, v] of child.stateDict(prefix ? `${prefix}.${name}` : name)) out.set(k, v);
    return out;
  }

  /**
   * Copies values into the parameters and buffers by name. Strict by default: any missing,
   * unexpected or mis-shaped key is an error listing all of them.
   */
  loadStateDict(source: ReadonlyMap<string, Tensor>, { strict = true } = {}): LoadResult {
    const own = this.stateDict();
    const missing = [...own.keys()].filter((k) => !source.has(k));
    const unexpected = [...source.keys()].filter((k) => !own.has(k));
    const misshaped = [...own.entries()]
      .filter(([k, t]) => source.has(k) && source.get(k)!.shape.join('x') !== t.shape.join('x'))
      .map(([k, t]) => `${k} (model [${t.shape.join(', ')}], file [${source.get(k)!.shape.join(', ')}])`);
    if (misshaped.length > 0 || (strict && (missing.length > 0 || unexpected.length > 0)))
      throw new StateDictError(missing, unexpected, misshaped);
    noGrad(() => {
      for (const [k, t] of own) {
        const src = source.get(k);
        if (src) t.copy_(src);
      }
    });
    return { missing, unexpected };
  }

  train(on = true): this {
    for (const [, m] of this.namedModules()) m.training = on;
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /** Drops every parameter's gradient (PyTorch's zero_grad(set_to_none=True)). */
  zeroGrad(): void {
    for (const p of this.parameters()) p.zeroGrad();
  }

  /** Freezes or unfreezes every parameter (e.g. a pretrained encoder). */
  requiresGrad_(on: boolean): this {
    for (const p of this.parameters()) p.requiresGrad = on;
    return this;
  }

  /** Moves parameters and buffers to a device ('cpu', 'cuda', 'cuda:1'); make optimizers after this. */
  to(device: string): this {
    for (const [, m] of this.namedModules()) m.mapOwnTensors((t) => (t.device === device ? t : toDevice(t, device)));
    return this;
  }

  /**
   * Replaces this module's own parameters and buffers by what fn returns (PyTorch's Module._apply):
   * fn runs without autograd, a returned new tensor keeps the old one's requiresGrad and the old one
   * is released. Optimizers made before hold the old tensors, so make them after this.
   */
  mapOwnTensors(fn: (t: Tensor, name: string, kind: 'parameter' | 'buffer') => Tensor): void {
    for (const [table, kind] of [
      [this.#parameters, 'parameter'],
      [this.#buffers, 'buffer'],
    ] as const) {
      for (const [name, t] of table) {
        if (!t) continue;
        const replaced = noGrad(() => fn(t, name, kind));
        if (replaced === t) continue;
        replaced.keep();
        if (t.requiresGrad) replaced.requiresGrad = true;
        t.dispose();
        table.set(name, replaced);
      }
    }
  }

  /** Releases every parameter and buffer. */
  dispose(): void {
    for (const [, t] of this.stateDict()) t.dispose();
  }
}

/** A module with one tensor in and one tensor out, the shape Sequential chains. */
export abstract class Layer extends Module {
  abstract forward(input: Tensor): Tensor;
}
