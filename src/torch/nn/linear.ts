import { Layer } from './module.js';
import { defaultInit } from './init.js';
import { empty } from '../ops/creation.js';
import { linear } from '../ops/functional.js';
import type { Tensor } from '../tensor.js';

export class Linear extends Layer {
  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    readonly hasBias = true,
  ) {
    super();
    const weight = this.registerParameter('weight', empty([outFeatures, inFeatures]))!;
    const bias = this.registerParameter('bias', hasBias ? empty([outFeatures]) : null);
    defaultInit(weight, bias);
  }

  forward(input: Tensor): Tensor {
    return linear(input, this.param('weight'), this.hasBias ? this.param('bias') : null);
  }
}
