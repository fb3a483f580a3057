// Public face of the DICOM reader. EDA calls readDicomHeader; the loader and the pipeline call
// readImage (src/data/image-io.ts), which comes here for DICOM files.
export { DicomError, type DicomErrorKind } from './errors.js';
export { type DicomMeta, parsePatientAge } from './meta.js';
export { type StoredPixels } from './pixels.js';
export { looksLikeDicom } from './parse.js';
export { transferSyntaxName, supportedTransferSyntaxes, type TransferSyntax } from './transfer-syntax.js';
export {
  readDicomHeader,
  readDicom,
  readDicomStoredPixels,
  readDicomDisplayLookup,
  decodeDicomBytes,
  decodeDicomBytesForSize,
  type DicomImage,
  type DicomPixels,
} from './read.js';
