// Concurrent spatial and channel squeeze-excitation (Roy et al. 2018), as segmentation_models.pytorch
// builds it: x * cSE(x) + x * sSE(x), with its module names (cSE.1, cSE.3, sSE.0).
import * as torch from '../torch/index.js';
import { nn, type Tensor } from '../torch/index.js';
import { countChain, type Counted, type FeatureShape } from './flops.js';

export class Scse extends nn.Layer {
  readonly cSE: nn.Sequential;
  readonly sSE: nn.Sequential;

  constructor(channels: number, reduction = 16) {
    super();
    const squeezed = Math.max(1, Math.floor(channels / reduction));
    this.cSE = this.registerModule(
      'cSE',
      new nn.Sequential(
        new nn.AdaptiveAvgPool2d(1),
        new nn.Conv2d(channels, squeezed, 1),
        new nn.ReLU(),
        new nn.Conv2d(squeezed, channels, 1),
        new nn.Sigmoid(),
      ),
    );
    this.sSE = this.registerModule('sSE', new nn.Sequential(new nn.Conv2d(channels, 1, 1), new nn.Sigmoid()));
  }

  forward(x: Tensor): Tensor {
    return torch.add(torch.mul(x, this.cSE.forward(x)), torch.mul(x, this.sSE.forward(x)));
  }

  macs(input: FeatureShape): Counted {
    return { macs: countChain([this.cSE], input).macs + countChain([this.sSE], input).macs, shape: input };
  }
}

/** smp's Attention wrapper: the module sits under `attention`, so keys read `attention1.attention.cSE.1.weight`. */
export class Attention extends nn.Layer {
  readonly attention: nn.Layer;

  constructor(kind: 'scse' | null, channels: number) {
    super();
    this.attention = this.registerModule('attention', kind === 'scse' ? new Scse(channels) : new nn.Identity());
  }

  forward(x: Tensor): Tensor {
    return this.attention.forward(x);
  }

  macs(input: FeatureShape): Counted {
    return countChain([this.attention], input);
  }
}
