// Entry point of a DICOM worker thread: inspects uploads and reads stored pixels, so that decoding
// never runs on the service's event loop. Pure JavaScript and WebAssembly codecs: no native addon.
import { serveTasks } from '../../data/worker-pool.js';
import { InstanceRejection, inspectDicom } from './inspect-dicom.js';
import { readEncodedPixels, readModelDisplayLut } from './stored-pixels.js';
import type { DicomTask, DicomTaskResult } from './dicom-pool.js';

serveTasks<DicomTask, DicomTaskResult>(async (task) => {
  if (task.kind === 'pixels') {
    const pixels = await readEncodedPixels(task.file);
    return { result: { kind: 'pixels', pixels }, transfer: [pixels.bytes.buffer as ArrayBuffer] };
  }
  if (task.kind === 'model-display')
    return { result: { kind: 'model-display', lut: await readModelDisplayLut(task.file) } };
  try {
    return { result: { kind: 'inspected', meta: await inspectDicom(task.bytes, task.name) } };
  } catch (err) {
    if (err instanceof InstanceRejection)
      return {
        result: {
          kind: 'rejected',
          statusCode: err.statusCode,
          reason: err.message,
          failureReason: err.failureReason,
          sopInstanceUid: err.sopInstanceUid,
          sopClassUid: err.sopClassUid,
        },
      };
    throw err;
  }
});
