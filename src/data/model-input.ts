// The model-input contract: how a decoded image becomes the plane a model eats. Training's loader
// workers, the Predictor (and with it predict, evaluate and serve) all go through these functions,
// and bundle.json records the contract of each model (its versioned `input` section), so a model is
// judged on exactly the pixels it was trained on. The steps, in order:
//   display   a file's values to grey in [0, 1], "bright = dense" (image-io.ts: DICOM through its
//             Modality LUT or rescale, then its VOI LUT, else its first window with its function,
//             else min-max; MONOCHROME1 inverted; PNG/JPEG grey / 255 or / 65535);
//   resize    to the model's width x height (resize.ts: exact area weights when shrinking, bilinear
//             with half-pixel centres when growing);
//   levels    rounded to 65535 grey levels, as the loader's disk cache stores them, so that a batch
//             is the same whether it came from the cache or from the file;
//   normalise (value - mean) / std, one channel, row-major (the N x 1 x H x W batch layout).
// Needs no engine and no file system (the browser's local reading runs it too): the Predictor only
// copies the planes into a tensor; model-input-file.ts reads a file through the same steps.
import type { GrayImage } from './image.js';
import { resizePlane, type ResizeMethod } from './transforms/resize.js';
import { checkNormalization, normalizeInto, IMAGENET_GRAY, type Normalization } from './transforms/normalize.js';
import { isJsonObject } from '../json-object.js';

export const MODEL_INPUT_VERSION = 1;

/** The display transform of the contract's first step; only the DICOM default exists so far. */
export const DISPLAY_TRANSFORMS = ['dicom-voi'] as const;
export type DisplayTransform = (typeof DISPLAY_TRANSFORMS)[number];
export const RESIZE_METHODS: readonly ResizeMethod[] = ['area', 'bilinear'];
export const INPUT_LEVELS = 65535;

export interface ModelInput {
  version: typeof MODEL_INPUT_VERSION;
  display: DisplayTransform;
  width: number;
  height: number;
  resize: ResizeMethod;
  /** Grey levels the resized plane is rounded to before normalisation. */
  levels: typeof INPUT_LEVELS;
  normalization: Normalization;
  channels: 1;
  layout: 'NCHW';
}

/** The contract of a model trained at width x height with today's loader defaults. */
export function modelInput(
  size: { width: number; height: number },
  normalization: Normalization = IMAGENET_GRAY,
  resize: ResizeMethod = 'area',
): ModelInput {
  const input: ModelInput = {
    version: MODEL_INPUT_VERSION,
    display: 'dicom-voi',
    width: size.width,
    height: size.height,
    resize,
    levels: INPUT_LEVELS,
    normalization: { mean: normalization.mean, std: normalization.std },
    channels: 1,
    layout: 'NCHW',
  };
  checkModelInput(input, 'model input');
  return input;
}

export class ModelInputError extends Error {
  override name = 'ModelInputError';
}

const FIELDS = ['version', 'display', 'width', 'height', 'resize', 'levels', 'normalization', 'channels', 'layout'];

/**
 * Validates a recorded contract (bundle.json's `input`); `where` names it in the one-line error
 * ("bundle.json: classifier.input.resize is ..."). Unknown and missing fields are errors: a
 * contract this pneumo does not fully understand would give other pixels than the model's.
 */
export function checkModelInput(value: unknown, where: string): ModelInput {
  if (!isJsonObject(value)) throw new ModelInputError(`${where} is not an object`);
  for (const key of Object.keys(value))
    if (!FIELDS.includes(key)) throw new ModelInputError(`${where}.${key} is not a field of model input version 1`);
  for (const key of FIELDS) if (!(key in value)) throw new ModelInputError(`${where}.${key} is missing`);
  if (value.version !== MODEL_INPUT_VERSION)
    throw new ModelInputError(
      `${where}.version is ${JSON.stringify(value.version)}; this pneumo reads version ${MODEL_INPUT_VERSION}`,
    );
  if (!DISPLAY_TRANSFORMS.includes(value.display as DisplayTransform))
    throw new ModelInputError(
      `${where}.display is ${JSON.stringify(value.display)}, expected one of ${DISPLAY_TRANSFORMS.join(', ')}`,
    );
  for (const key of ['width', 'height'] as const)
    if (!Number.isInteger(value[key]) || (value[key] as number) < 1)
      throw new ModelInputError(`${where}.${key} is ${JSON.stringify(value[key])}, expected a positive integer`);
  if (!RESIZE_METHODS.includes(value.resize as ResizeMethod))
    throw new ModelInputError(
      `${where}.resize is ${JSON.stringify(value.resize)}, expected one of ${RESIZE_METHODS.join(', ')}`,
    );
  if (value.levels !== INPUT_LEVELS)
    throw new ModelInputError(`${where}.levels is ${JSON.stringify(value.levels)}, expected ${INPUT_LEVELS}`);
  const n = value.normalization;
  if (!isJsonObject(n) || typeof n.mean !== 'number' || typeof n.std !== 'number' || Object.keys(n).length !== 2)
    throw new ModelInputError(`${where}.normalization is not {mean, std}`);
  try {
    checkNormalization({ mean: n.mean, std: n.std });
  } catch (err) {
    throw new ModelInputError(`${where}.normalization: ${(err as Error).message}`);
  }
  if (value.channels !== 1)
    throw new ModelInputError(`${where}.channels is ${JSON.stringify(value.channels)}, expected 1`);
  if (value.layout !== 'NCHW')
    throw new ModelInputError(`${where}.layout is ${JSON.stringify(value.layout)}, expected "NCHW"`);
  return value as unknown as ModelInput;
}

/** Rounds a plane in [0, 1] to the contract's grey levels, in place (values outside are clamped). */
export function quantizeInput(pixels: Float32Array): Float32Array {
  for (let i = 0; i < pixels.length; i++) {
    const v = pixels[i];
    pixels[i] = Math.round((v < 0 ? 0 : v > 1 ? 1 : v) * INPUT_LEVELS) / INPUT_LEVELS;
  }
  return pixels;
}

/** Resize and levels: the plane in [0, 1] before normalisation (the loader augments it there). */
export function inputPixels(image: GrayImage, input: ModelInput): Float32Array {
  return quantizeInput(resizePlane(image.pixels, image.width, image.height, input.width, input.height, input.resize));
}

/** The last step: (value - mean) / std into `out` from `offset` (one slot of an N x 1 x H x W batch). */
export function normalizeInput(pixels: Float32Array, input: ModelInput, out: Float32Array, offset = 0): Float32Array {
  normalizeInto(pixels, out, offset, input.normalization);
  return out;
}

/** The planes of several images back to back: the data of an N x 1 x H x W batch. */
export function modelInputBatch(images: readonly GrayImage[], input: ModelInput): Float32Array {
  const plane = input.width * input.height;
  const out = new Float32Array(images.length * plane);
  images.forEach((image, i) => normalizeInput(inputPixels(image, input), input, out, i * plane));
  return out;
}
