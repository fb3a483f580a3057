import { Layer } from './module.js';
import { defaultInit } from './init.js';
import { empty } from '../ops/creation.js';
import { conv2d, convTranspose2d } from '../ops/functional.js';
import type { Tensor } from '../tensor.js';

type Pair = number | [number, number];

export interface Conv2dOptions {
  stride?: Pair;
  padding?: Pair;
  dilation?: Pair;
  groups?: number;
  bias?: boolean;
}

export class Conv2d extends Layer {
  readonly options: Required<Conv2dOptions>;

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    readonly kernelSize: Pair,
    options: Conv2dOptions = {},
  ) {
    super();
    this.options = { stride: 1, padding: 0, dilation: 1, groups: 1, bias: true, ...options };
    const [kh, kw] = typeof kernelSize === 'number' ? [kernelSize, kernelSize] : kernelSize;
    if (inChannels % this.options.groups !== 0)
      throw new Error(`Conv2d: in_channels ${inChannels} not divisible by groups ${this.options.groups}`);
    const weight = this.registerParameter('weight', empty([outChannels, inChannels / this.options.groups, kh, kw]))!;
    const bias = this.registerParameter('bias', this.options.bias ? empty([outChannels]) : null);
    defaultInit(weight, bias);
  }

  forward(input: Tensor): Tensor {
    const { stride, padding, dilation, groups, bias } = this.options;
    return conv2d(input, this.param('weight'), bias ? this.param('bias') : null, { stride, padding, dilation, groups });
  }
}

export class ConvTranspose2d extends Layer {
  readonly options: Required<Conv2dOptions> & { outputPadding: Pair };

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    readonly kernelSize: Pair,
    options: Conv2dOptions & { outputPadding?: Pair } = {},
  ) {
    super();
    this.options = { stride: 1, padding: 0, dilation: 1, groups: 1, bias: true, outputPadding: 0, ...options };
    const [kh, kw] = typeof kernelSize === 'number' ? [kernelSize, kernelSize] : kernelSize;
    // PyTorch's transposed weight is (in, out / groups, kh, kw).
    const weight = this.registerParameter('weight', empty([inChannels, outChannels / this.options.groups, kh, kw]))!;
    const bias = this.registerParameter('bias', this.options.bias ? empty([outChannels]) : null);
    defaultInit(weight, bias);
  }

  forward(input: Tensor): Tensor {
    const { stride, padding, dilation, groups, bias, outputPadding } = this.options;
    return convTranspose2d(input, this.param('weight'), bias ? this.param('bias') : null, {
      stride,
      padding,
      dilation,
      groups,
      outputPadding,
    });
  }
}
