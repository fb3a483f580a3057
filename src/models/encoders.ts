// All encoder families in one table, merged from the per-family tables.
import type { Encoder, EncoderOptions, EncoderSpec, EncoderTable } from './encoder.js';
import { resnetEncoders } from './resnet.js';
import { densenetEncoders } from './densenet.js';
import { vggEncoders } from './vgg.js';
import { efficientnetEncoders } from './efficientnet.js';

export const ENCODERS: Readonly<EncoderTable> = {
  ...resnetEncoders,
  ...densenetEncoders,
  ...vggEncoders,
  ...efficientnetEncoders,
};

export function getEncoderSpec(name: string): EncoderSpec {
  const spec = Object.hasOwn(ENCODERS, name) ? ENCODERS[name] : undefined;
  if (!spec)
    throw new Error(`Wrong encoder name \`${name}\`, supported encoders: [${Object.keys(ENCODERS).join(', ')}]`);
  return spec;
}

export function createEncoder(name: string, options: EncoderOptions = {}): Encoder {
  return getEncoderSpec(name).create(options);
}
