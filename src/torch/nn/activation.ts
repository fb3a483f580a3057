// Parameter-free layers: activations, dropout, pooling, upsampling, flatten and identity.
import { Layer } from './module.js';
import * as F from '../ops/functional.js';
import { flatten } from '../ops/shape.js';
import type { Tensor } from '../tensor.js';

type Pair = number | [number, number];

/** The base of a parameter-free layer that applies one elementwise function (torch.nn's activations). */
function elementwise(fn: (x: Tensor) => Tensor) {
  return class extends Layer {
    forward(x: Tensor): Tensor {
      return fn(x);
    }
  };
}

export class ReLU extends elementwise(F.relu) {}
export class ReLU6 extends elementwise(F.relu6) {}
export class Sigmoid extends elementwise(F.sigmoid) {}
export class Tanh extends elementwise(F.tanh) {}
export class SiLU extends elementwise(F.silu) {}
export class LeakyReLU extends Layer {
  constructor(readonly negativeSlope = 0.01) {
    super();
  }
  forward(x: Tensor): Tensor {
    return F.leakyRelu(x, this.negativeSlope);
  }
}
export class Identity extends Layer {
  forward(x: Tensor): Tensor {
    return x;
  }
}
export class Dropout extends Layer {
  constructor(readonly p = 0.5) {
    super();
  }
  forward(x: Tensor): Tensor {
    return this.p === 0 ? x : F.dropout(x, this.p, this.training);
  }
}
export class Flatten extends Layer {
  constructor(
    readonly startDim = 1,
    readonly endDim = -1,
  ) {
    super();
  }
  forward(x: Tensor): Tensor {
    return flatten(x, this.startDim, this.endDim);
  }
}
export class MaxPool2d extends Layer {
  constructor(
    readonly kernelSize: Pair,
    readonly stride: Pair = kernelSize,
    readonly padding: Pair = 0,
    readonly ceilMode = false,
  ) {
    super();
  }
  forward(x: Tensor): Tensor {
    return F.maxPool2d(x, this.kernelSize, { stride: this.stride, padding: this.padding, ceilMode: this.ceilMode });
  }
}
export class AvgPool2d extends Layer {
  constructor(
    readonly kernelSize: Pair,
    readonly stride: Pair = kernelSize,
    readonly padding: Pair = 0,
  ) {
    super();
  }
  forward(x: Tensor): Tensor {
    return F.avgPool2d(x, this.kernelSize, { stride: this.stride, padding: this.padding });
  }
}
export class AdaptiveAvgPool2d extends Layer {
  constructor(readonly outputSize: Pair) {
    super();
  }
  forward(x: Tensor): Tensor {
    return F.adaptiveAvgPool2d(x, this.outputSize);
  }
}
export class Upsample extends Layer {
  constructor(
    readonly scaleFactor: number,
    readonly mode: 'nearest' | 'bilinear' = 'nearest',
    readonly alignCorners = false,
  ) {
    super();
  }
  forward(x: Tensor): Tensor {
    return F.interpolate(x, { scaleFactor: this.scaleFactor, mode: this.mode, alignCorners: this.alignCorners });
  }
}
