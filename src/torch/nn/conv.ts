import { Layer } from './module.js';
import { defaultInit } from './init.js';
import { empty } from '../ops/creation.js';
import { conv2d, convTranspose2d } from '../ops/functional.js';
import { mul } from '../ops/math.js';
import { reshape } from '../ops/shape.js';
import { autocast } from '../autocast.js';
import { noGrad } from '../grad-mode.js';
import { needsFloat32WeightGradient } from './bf16-weight-gradient.js';
import { scope } from '../scope.js';
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
  #hasBias: boolean;

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    readonly kernelSize: Pair,
    options: Conv2dOptions = {},
  ) {
    super();
    this.options = { stride: 1, padding: 0, dilation: 1, groups: 1, bias: true, ...options };
    this.#hasBias = this.options.bias;
    const [kh, kw] = typeof kernelSize === 'number' ? [kernelSize, kernelSize] : kernelSize;
    if (inChannels % this.options.groups !== 0)
      throw new Error(`Conv2d: in_channels ${inChannels} not divisible by groups ${this.options.groups}`);
    const weight = this.registerParameter('weight', empty([outChannels, inChannels / this.options.groups, kh, kw]))!;
    const bias = this.registerParameter('bias', this.options.bias ? empty([outChannels]) : null);
    defaultInit(weight, bias);
  }

  forward(input: Tensor): Tensor {
    const { stride, padding, dilation, groups } = this.options;
    const weight = this.param('weight');
    const run = (x: Tensor) =>
      conv2d(x, weight, this.#hasBias ? this.param('bias') : null, { stride, padding, dilation, groups });
    if (needsFloat32WeightGradient(input, weight, { stride, padding, dilation, groups }))
      return autocast('bfloat16', () => run(input.float()), { enabled: false });
    return run(input);
  }

  /**
   * Folds a per-output-channel affine map that follows this convolution, y * scale + shift (an
   * eval-mode batch norm), into its weight and bias: W' = W * scale, b' = b * scale + shift. For
   * inference copies only; the state dict changes (a bias appears where there was none).
   */
  foldAffine(scale: Tensor, shift: Tensor): void {
    const hadBias = this.#hasBias;
    scope(() =>
      noGrad(() => {
        const bias = hadBias ? mul(this.param('bias'), scale).add(shift) : shift.clone();
        this.mapOwnTensors((t, name) => (name === 'weight' ? mul(t, reshape(scale, [-1, 1, 1, 1])) : t));
        if (hadBias) this.mapOwnTensors((t, name) => (name === 'bias' ? bias : t));
        else this.registerParameter('bias', bias);
      }),
    );
    this.#hasBias = true;
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
