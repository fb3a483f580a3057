// Imports pretrained weights into an encoder: torchvision's and timm's ImageNet state dicts,
// segmentation_models.pytorch and pneumo models (their `encoder.*`), torchxrayvision's chest X-ray
// models (a whole pickled DenseNet, a ResNet-50 state dict), from safetensors or torch.save files.
// Strictly by name, after unwrapping (`module.` of DataParallel, `encoder.`/`model.`/`backbone.` of a
// wrapping model) and the family's own key remaps, without the classification head, and with the
// first convolution adapted to the model's input channels as segmentation libraries do (1 channel:
// the sum of the RGB filters, so a grey image x gives what the RGB image (x, x, x) gave).
import * as torch from '../torch/index.js';
import { nn, type Tensor } from '../torch/index.js';
import { Encoder } from './encoder.js';
import { EncoderModel } from './encoder-model.js';

export interface PretrainedReport {
  file: string;
  /** The file's format, and where its state dict sat (`module` for a whole pickled nn.Module). */
  format?: torch.WeightsFile['format'];
  layout?: torch.CheckpointLayout;
  /** Tensors copied into the encoder. */
  loaded: number;
  /** Tensors copied into the rest of the model (same names and shapes: a checkpoint of its architecture). */
  beyondEncoder?: number;
  /** Keys left out: the file's classification head, a wrapping model's other parts, known extras. */
  dropped: string[];
  /** Keys renamed from an older layout (DenseNet's `norm.1`). */
  remapped: number;
  /** The wrapper prefix taken off every encoder key (`module.`, `encoder.`, `model.`), or ''. */
  prefix: string;
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
 * Loads `file` (safetensors, or a torch.save checkpoint of any of its three shapes) into the encoder
 * of a model (or into an encoder itself). An unreadable or corrupt file is a torch.SafetensorsError
 * or torch.CheckpointError naming the file.
 */
export async function loadPretrained(model: Encoder | EncoderModel<unknown>, file: string): Promise<PretrainedReport> {
  const encoder = model instanceof Encoder ? model : model.encoder;
  const { tensors, format, layout } = torch.loadWeightsFile(file);
  try {
    const report: PretrainedReport = { ...loadEncoderWeights(encoder, tensors, file), format, layout };
    if (model instanceof EncoderModel) report.beyondEncoder = loadMatchingParts(model, tensors);
    return report;
  } finally {
    for (const t of tensors.values()) t.dispose();
  }
}

/**
 * The tensors outside the encoder that the file holds under the model's own names and shapes (a
 * checkpoint of the same architecture: a U-Net's decoder and mask head), so that a model continues
 * from a trained one whole rather than from its encoder alone. Returns how many were copied.
 */
function loadMatchingParts(model: EncoderModel<unknown>, source: ReadonlyMap<string, Tensor>): number {
  const own = model.stateDict();
  const matching = new Map<string, Tensor>();
  for (const [key, value] of source) {
    const mine = own.get(key);
    if (!key.startsWith('encoder.') && mine && mine.shape.join('x') === value.shape.join('x')) matching.set(key, value);
  }
  if (matching.size > 0) model.loadStateDict(matching, { strict: false });
  return matching.size;
}

/** The synchronous core of loadPretrained, for weights already in memory (not consumed). */
export function loadEncoderWeights(
  encoder: Encoder,
  source: ReadonlyMap<string, Tensor>,
  label = 'weights',
): PretrainedReport {
  const own = encoder.stateDict();
  const ownKeys = [...own.keys()];
  const part = encoderPart(source, encoder, new Set(ownKeys));
  const absentPrefixes = encoder.classifierPrefixes.filter((prefix) => !ownKeys.some((k) => k.startsWith(prefix)));
  const renamed = new Map<string, Tensor>();
  const dropped: string[] = part.rest;
  let remapped = 0;
  for (const [original, key, value] of part.encoder) {
    const name = encoder.remapKey(key);
    if (name !== key) remapped++;
    if (absentPrefixes.some((prefix) => name.startsWith(prefix))) dropped.push(original);
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
    return { file: label, loaded: renamed.size, dropped, remapped, prefix: part.prefix, firstConv };
  });
}

// Prefixes of models that hold an encoder: pneumo's and segmentation_models.pytorch's U-Nets and
// classifiers (`encoder.`, beside `decoder.` / `head.` / `segmentation_head.`), torchxrayvision's and
// Lightning's wrappers (`model.`), detection-style backbones (`backbone.`).
const ENCODER_PREFIXES = ['encoder.', 'model.', 'backbone.'];
// Buffers that are not weights: torchxrayvision's per-class operating points.
const NOT_WEIGHTS = new Set(['op_threshs']);

/**
 * The part of a state dict that belongs to the encoder, as (original key, key, tensor), and the keys
 * left out. DataParallel's `module.` goes first; then, if no key names one of the encoder's own
 * tensors as it stands, the first prefix under which some key does: so a classifier can start from a
 * trained segmenter's encoder (transfer where no ImageNet weights are at hand), or from a wrapped model.
 */
function encoderPart(
  source: ReadonlyMap<string, Tensor>,
  encoder: Encoder,
  own: ReadonlySet<string>,
): { encoder: [string, string, Tensor][]; rest: string[]; prefix: string } {
  let entries: [string, string, Tensor][] = [...source].map(([key, value]) => [key, key, value]);
  const rest: string[] = [];
  let taken = '';
  while (entries.length > 0 && entries.every(([, key]) => key.startsWith('module.'))) {
    entries = entries.map(([original, key, value]) => [original, key.slice('module.'.length), value]);
    taken += 'module.';
  }
  const fits = (key: string) => own.has(encoder.remapKey(key));
  if (!entries.some(([, key]) => fits(key))) {
    const prefix = ENCODER_PREFIXES.find((p) =>
      entries.some(([, key]) => key.startsWith(p) && fits(key.slice(p.length))),
    );
    if (prefix) {
      const inside: [string, string, Tensor][] = [];
      for (const [original, key, value] of entries) {
        if (key.startsWith(prefix)) inside.push([original, key.slice(prefix.length), value]);
        else rest.push(original);
      }
      entries = inside;
      taken += prefix;
    }
  }
  const kept = entries.filter(([original, key]) => {
    if (!NOT_WEIGHTS.has(key)) return true;
    rest.push(original);
    return false;
  });
  return { encoder: kept, rest, prefix: taken };
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
