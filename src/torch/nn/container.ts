import { Layer, Module } from './module.js';
import type { Tensor } from '../tensor.js';

/** Children named "0", "1", ... as torch.nn.Sequential, so state-dict keys match PyTorch's. */
export class Sequential extends Layer {
  readonly layers: Layer[];

  constructor(...layers: Layer[]) {
    super();
    this.layers = layers;
    layers.forEach((layer, i) => this.registerModule(String(i), layer));
  }

  /** A Sequential whose children have names (torchvision's DenseNet `features`, for example). */
  static named(entries: [string, Layer][]): Sequential {
    const seq = new Sequential();
    for (const [name, layer] of entries) seq.add(name, layer);
    return seq;
  }

  add(name: string, layer: Layer): this {
    this.layers.push(layer);
    this.registerModule(name, layer);
    return this;
  }

  forward(x: Tensor): Tensor {
    let out = x;
    for (const layer of this.layers) out = layer.forward(out);
    return out;
  }
}

/** A list of modules registered as "0", "1", ..., for blocks that are not a simple chain. */
export class ModuleList<M extends Module = Module> extends Module {
  readonly items: M[] = [];

  constructor(items: M[] = []) {
    super();
    for (const item of items) this.push(item);
  }

  push(item: M): this {
    this.registerModule(String(this.items.length), item);
    this.items.push(item);
    return this;
  }
}
