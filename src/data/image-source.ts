// The one place the loader gets pixels from: DICOM, PNG and JPEG through src/data/image-io.ts.
export { readImage, readImageResized, ImageReadError } from './image-io.js';
