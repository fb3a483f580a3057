// A file of named tensors, whatever wrote it: safetensors, or PyTorch's torch.save (zip or legacy),
// told apart by their first bytes rather than by the extension (Hugging Face's `.bin` files are
// torch.save archives; a `.pt` may be either era).
import path from 'node:path';
import type { Tensor } from './tensor.js';
import { loadSafetensors } from './safetensors.js';
import { loadTorchCheckpoint, sniffWeightsFormat, type CheckpointLayout } from './checkpoint.js';

export interface WeightsFile {
  /** The state dict (CPU tensors owned by the current scope). */
  tensors: Map<string, Tensor>;
  format: 'safetensors' | 'zip' | 'legacy';
  /** Where the state dict sat in a torch.save file; `state-dict` for safetensors. */
  layout: CheckpointLayout;
}

const TORCH_EXTENSIONS = new Set(['.pth', '.pt', '.bin', '.ckpt', '.tar']);

/** Every tensor of a weights file. Errors are SafetensorsError or CheckpointError, naming the file. */
export function loadWeightsFile(file: string): WeightsFile {
  let format: ReturnType<typeof sniffWeightsFormat> = 'other';
  try {
    format = sniffWeightsFormat(file);
  } catch {
    // Unreadable: the loader below says why, in its own words.
  }
  if (format !== 'other' || TORCH_EXTENSIONS.has(path.extname(file).toLowerCase())) {
    const checkpoint = loadTorchCheckpoint(file);
    return { tensors: checkpoint.tensors, format: checkpoint.format, layout: checkpoint.layout };
  }
  return { tensors: loadSafetensors(file), format: 'safetensors', layout: 'state-dict' };
}
