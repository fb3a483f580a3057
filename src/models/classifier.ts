// Image classifier: encoder, global pooling (average, or average and max concatenated), dropout and
// a linear layer giving one logit per image.
import * as torch from '../torch/index.js';
import { nn, type Tensor } from '../torch/index.js';
import type { Encoder } from './encoder.js';
import { EncoderModel } from './encoder-model.js';
import { countMacs } from './flops.js';
import { initHead } from './unet.js';

export interface ClassifierConfig {
  /** Registry name, e.g. `classifier-vgg19`. */
  name: string;
  task: 'classification';
  /** Encoder table name, e.g. `vgg19`. */
  encoder: string;
  inChannels: number;
  /** `avg`: global average pooling; `avgmax`: average and max pooling concatenated (twice the features). */
  pooling: 'avg' | 'avgmax';
  dropout: number;
}

export class Classifier extends EncoderModel<ClassifierConfig> {
  readonly head: nn.Sequential;

  constructor(config: ClassifierConfig, encoder: Encoder) {
    super(config, encoder);
    const features = encoder.headChannels * (config.pooling === 'avgmax' ? 2 : 1);
    this.head = this.registerModule(
      'head',
      new nn.Sequential(new nn.Dropout(config.dropout), new nn.Linear(features, 1)),
    );
    initHead(this.head);
  }

  /** One logit per image, [N], for images [N, C, H, W]. */
  forward(x: Tensor): Tensor {
    return this.run(x).output;
  }

  /**
   * forward, and the global average pool of the encoder's last map, [N, C] (what the input gate
   * measures the image by), from the same pass.
   */
  forwardWithFeatures(x: Tensor): { output: Tensor; features: Tensor } {
    return this.run(x);
  }

  private run(x: Tensor): { output: Tensor; features: Tensor } {
    return torch.scope(() => {
      const map = this.encoder.forwardHead(x);
      const avg = torch.flatten(torch.adaptiveAvgPool2d(map, 1), 1);
      const pooled =
        this.config.pooling === 'avgmax' ? torch.cat([avg, torch.flatten(torch.adaptiveMaxPool2d(map, 1), 1)], 1) : avg;
      return { output: torch.reshape(this.head.forward(pooled), [x.shape[0]]), features: avg };
    });
  }

  /** The global average pool of the encoder's last map, [N, C], without the head. */
  pooledFeatures(x: Tensor): Tensor {
    return torch.scope(() => torch.flatten(torch.adaptiveAvgPool2d(this.encoder.forwardHead(x), 1), 1));
  }

  /** MACs of one image of the given size. */
  macs(height: number, width: number): number {
    const encoder = this.encoder.macs([this.encoder.inChannels, height, width]);
    const features = this.encoder.headChannels * (this.config.pooling === 'avgmax' ? 2 : 1);
    return encoder.macs + countMacs(this.head, [features, 1, 1]).macs;
  }
}
