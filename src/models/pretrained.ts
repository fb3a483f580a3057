// Imports torchvision (or timm) ImageNet weights saved as safetensors into an encoder: strictly by
// name, after the family's own key remaps, without the classification head, and with the first
// convolution adapted to the model's input channels as segmentation libraries do (1 channel: the sum
// of the RGB filters, so a grey image x gives what the RGB image (x, x, x) gave).
import * as torch from '../torch/index.js';
import { nn, type Tensor } from '../torch/index.js';
import { Encoder } from './encoder.js';
import { EncoderModel } from './encoder-model.js';

export interface PretrainedReport {
  file: string;
  /** Tensors copied into the encoder. */
  loaded: number;
  /** Keys of the file's classification head, left out. */
  dropped: string[];
  /** Keys renamed from an older layout (DenseNet's `norm.1`). */
  remapped: number;
  /** What happened to the first conv: as it was, summed over RGB (1 channel), or cycled over channels. */
  firstConv: 'as-is' | 'summed' | 'cycled';
}

/** ImageNet statistics of the pretrained encoders; one channel uses their means (as smp does). */
export const IMAGENET_NORMALIZATION = {
  mean: [0.485, 0.456, 0.406],
  std: [0.229, 0.224, 0.225],
  grayMean: 0.449,
  grayStd: 0.226,
} as const;

/**
 * Loads `file` into the encoder of a model (or into an encoder itself). An unreadable or corrupt file
 * is a torch.SafetensorsError naming the file.
 */
export async function loadPretrained(model: Encoder | EncoderModel<unknown>, file: string): Promise<PretrainedReport> {
  const encoder = model instanceof Encoder ? model : model.encoder;
  const tensors = torch.loadSafetensors(file);
  try {
    return loadEncoderWeights(encoder, tensors, file);
  } finally {
    for (const t of tensors.values()) t.dispose();
  }
}

/** The synchronous core of loadPretrained, for weights already in memory (not consumed). */
export function loadEncoderWeights(
  encoder: Encoder,
  source: ReadonlyMap<string, Tensor>,
  label = 'weights',
): PretrainedReport {
  const own = encoder.stateDict();
  const ownKeys = [...own.keys()];
  const fromModel = encoderPart(source);
  if (fromModel) source = fromModel.encoder;
  const absentPrefixes = encoder.classifierPrefixes.filter((prefix) => !ownKeys.some((k) => k.startsWith(prefix)));
  const renamed = new Map<string, Tensor>();
  const dropped: string[] = fromModel ? fromModel.rest : [];
  let remapped = 0;
  for (const [key, value] of source) {
    const name = encoder.remapKey(key);
    if (name !== key) remapped++;
    if (absentPrefixes.some((prefix) => name.startsWith(prefix))) dropped.push(key);
    else renamed.set(name, value);
  }
  return torch.scope(() => {
    // Checkpoints from before PyTorch 0.4.1 have no batch counters; PyTorch starts them at 0 too.
    for (const key of ownKeys)
      if (key.endsWith('.num_batches_tracked') && !renamed.has(key))
        renamed.set(key, torch.zeros([], { dtype: 'int64' }));
    let firstConv: PretrainedReport['firstConv'] = 'as-is';
    const fileConv = renamed.get(encoder.firstConvKey);
    const modelConv = own.get(encoder.firstConvKey);
    if (fileConv && modelConv && fileConv.ndim === 4 && fileConv.shape[1] !== modelConv.shape[1]) {
      const adapted = adaptFirstConv(fileConv, modelConv.shape[1]);
      renamed.set(encoder.firstConvKey, adapted);
      firstConv = modelConv.shape[1] === 1 ? 'summed' : 'cycled';
    }
    try {
      encoder.loadStateDict(renamed, { strict: true });
    } catch (err) {
      if (err instanceof nn.StateDictError) err.message = `${label} do not fit ${encoder.name}: ${err.message}`;
      throw err;
    }
    return { file: label, loaded: renamed.size, dropped, remapped, firstConv };
  });
}

/**
 * The encoder of a whole pneumo model (a training run's best.safetensors: `encoder.*` beside
 * `decoder.*` or `head.*`), so that a classifier can start from a trained segmenter's encoder:
 * transfer learning where no ImageNet weights are at hand. Null for a plain encoder file.
 */
function encoderPart(source: ReadonlyMap<string, Tensor>): { encoder: Map<string, Tensor>; rest: string[] } | null {
  const keys = [...source.keys()];
  if (!keys.some((k) => k.startsWith('encoder.'))) return null;
  const encoder = new Map<string, Tensor>();
  const rest: string[] = [];
  for (const [key, value] of source) {
    if (key.startsWith('encoder.')) encoder.set(key.slice('encoder.'.length), value);
    else rest.push(key);
  }
  return { encoder, rest };
}

/**
 * A first-conv weight [O, C, k, k] for `channels` inputs: the sum over C for one channel; otherwise
 * channel i takes the pretrained channel i mod C, scaled by C / channels (smp's rule).
 */
export function adaptFirstConv(weight: Tensor, channels: number): Tensor {
  const pretrainedChannels = weight.shape[1];
  if (channels === 1) return torch.sum(weight, 1, true);
  const picked = torch.tensor(
    BigInt64Array.from({ length: channels }, (_, i) => BigInt(i % pretrainedChannels)),
    [channels],
  );
  return torch.mul(torch.indexSelect(weight, 1, picked), pretrainedChannels / channels);
}
