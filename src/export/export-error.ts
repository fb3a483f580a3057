/** A model that cannot be written as ONNX: the message names the op or the reason. */
export class ExportError extends Error {
  override name = 'ExportError';
}
