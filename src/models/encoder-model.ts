// What the U-Net and the classifier share: an encoder that can be frozen (a pretrained backbone kept
// as it is, the seed model's VGG-19) and a plain JSON config from which the model is rebuilt.
import { nn } from '../torch/index.js';
import type { Encoder } from './encoder.js';

export abstract class EncoderModel<Config> extends nn.Module {
  #encoderFrozen = false;

  constructor(
    readonly config: Readonly<Config>,
    readonly encoder: Encoder,
  ) {
    super();
    this.registerModule('encoder', encoder);
  }

  get encoderFrozen(): boolean {
    return this.#encoderFrozen;
  }

  /**
   * Stops (or restarts) training the encoder. A frozen encoder also keeps its batch-norm layers in
   * eval mode, using the running statistics it came with, as Keras does for a frozen backbone.
   */
  freezeEncoder(on = true): this {
    this.#encoderFrozen = on;
    this.encoder.requiresGrad_(!on);
    if (on) this.encoder.eval();
    else this.encoder.train(this.training);
    return this;
  }

  override train(on = true): this {
    super.train(on);
    if (this.#encoderFrozen) this.encoder.eval();
    return this;
  }
}
