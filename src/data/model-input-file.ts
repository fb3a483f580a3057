// The model-input contract (model-input.ts) applied straight to a file, as the training loader's
// workers read their items.
import { readImageResized } from './image-io.js';
import { quantizeInput, type ModelInput } from './model-input.js';

/**
 * inputPixels straight from a file, with the size of the source (which the labels' RLE refers to).
 * 8-bit DICOMs shrunk by whole factors skip the full-size float image; the pixels are the same to
 * the bit (src/data/dicom/pixels.ts, renderGrayShrunk).
 */
export async function readInputPixels(
  file: string,
  input: ModelInput,
): Promise<{ pixels: Float32Array; sourceWidth: number; sourceHeight: number }> {
  const read = await readImageResized(file, input.width, input.height, input.resize);
  return { pixels: quantizeInput(read.image.pixels), sourceWidth: read.sourceWidth, sourceHeight: read.sourceHeight };
}
