// A bundle's classifier or segmenter as an ONNX model: batch norms folded as the predictor folds them
// for inference, the forward traced with the predictor's own output stage (classifier: sigmoid of
// the logit, [N]; segmenter: sigmoid of the mask logits, [N,1,H,W]), so the file's outputs are the
// probabilities pneumo thresholds; the input contract and thresholds go into metadata_props.
import * as torch from '../torch/index.js';
import type { BundleManifest, BundleModelEntry } from '../pipeline/bundle-manifest.js';
import { classifierLogits, maskLogits, type PipelineModel } from '../pipeline/model-contract.js';
import { pneumoVersion } from '../project-paths.js';
import { MAX_OPSET } from './onnx-graph.js';
import { traceToOnnx } from './trace-onnx.js';

export type ModelRole = 'classifier' | 'segmenter';

export const ONNX_INPUT = 'image';
export const ONNX_OUTPUT: Record<ModelRole, string> = { classifier: 'probability', segmenter: 'mask' };
export const DEFAULT_OPSET = MAX_OPSET;

export interface ExportModelOptions {
  opset?: number;
  /** A symbolic first dimension (`batch`) instead of batch 1. */
  dynamicBatch?: boolean;
}

/** What the model's file says about itself, under metadata_props (values are JSON where not plain text). */
export function onnxMetadata(role: ModelRole, manifest: BundleManifest): Record<string, string> {
  const entry: BundleModelEntry = manifest[role];
  const input = {
    name: ONNX_INPUT,
    layout: 'NCHW',
    channels: 1,
    height: entry.input.height,
    width: entry.input.width,
    pixels:
      'grayscale in [0, 1], bright = dense: the DICOM modality LUT / rescale, then the VOI LUT or the ' +
      "file's first window (else the stored range), MONOCHROME1 inverted; resized to width x height " +
      `(${entry.input.resize}: area averaging when shrinking, bilinear when growing), rounded to ` +
      `${entry.input.levels} levels (docs/model-input.md)`,
    normalization: {
      mean: entry.input.normalization.mean,
      std: entry.input.normalization.std,
      formula: '(pixel - mean) / std',
    },
    contract: entry.input,
  };
  const output =
    role === 'classifier'
      ? {
          name: ONNX_OUTPUT.classifier,
          shape: ['N'],
          meaning: 'probability of pneumothorax per image; positive when >= thresholds.classifier',
        }
      : {
          name: ONNX_OUTPUT.segmenter,
          shape: ['N', 1, entry.input.height, entry.input.width],
          meaning:
            'per-pixel probability of pneumothorax; resize bilinearly to the image, a pixel is in the mask when > thresholds.pixel, ' +
            'then drop the mask when its area is below thresholds.minArea (pixels at 1024 x 1024)',
        };
  return {
    'pneumo.format': 'pneumo-onnx/1',
    'pneumo.role': role,
    'pneumo.architecture': entry.architecture,
    'pneumo.config': JSON.stringify(entry.config),
    'pneumo.input': JSON.stringify(input),
    'pneumo.output': JSON.stringify(output),
    'pneumo.thresholds': JSON.stringify(manifest.thresholds),
    'pneumo.pipeline':
      'two-stage: the segmenter runs only on images whose classifier probability reaches thresholds.classifier',
  };
}

/**
 * The ONNX bytes of one model of a bundle. The model must be in eval mode and is changed in place
 * (its batch norms folded into their convolutions), as the predictor changes its own copy.
 */
export function exportModel(
  model: PipelineModel,
  role: ModelRole,
  manifest: BundleManifest,
  options: ExportModelOptions = {},
): Uint8Array {
  const { width, height } = manifest[role].input;
  model.eval();
  torch.nn.foldBatchNorm(model, () => {
    model.forward(torch.zeros([1, 1, Math.min(height, 64), Math.min(width, 64)]));
  });
  const example = torch.zeros([1, 1, height, width]).keep();
  try {
    const traced = traceToOnnx(
      model,
      (x) =>
        role === 'classifier'
          ? classifierLogits(model.forward(x)).float().sigmoid()
          : maskLogits(model.forward(x)).float().sigmoid(),
      {
        input: { name: ONNX_INPUT, example },
        outputs: [ONNX_OUTPUT[role]],
        dynamicBatch: Boolean(options.dynamicBatch),
      },
    );
    return traced.graph.encode({
      name: `pneumo-${role}`,
      inputs: traced.inputs,
      outputs: traced.outputs,
      opset: options.opset ?? DEFAULT_OPSET,
      producerVersion: pneumoVersion(),
      docString: `pneumo ${role} (${manifest[role].architecture}); see metadata_props pneumo.* for the input contract`,
      metadata: onnxMetadata(role, manifest),
    });
  } finally {
    example.dispose();
  }
}
