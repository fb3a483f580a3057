// A worker-thread pool for DICOM decoding off the event loop: upload inspection and stored pixels.
import { WorkerPool } from '../../data/worker-pool.js';
import type { InstanceMeta } from '../store/store.js';
import type { EncodedPixels, ModelDisplayLut } from './stored-pixels.js';
import type { FailureReason } from './stow-response.js';

export type DicomTask =
  | { kind: 'inspect'; bytes: Uint8Array; name: string }
  | { kind: 'pixels'; file: string }
  | { kind: 'model-display'; file: string };

export type DicomTaskResult =
  | { kind: 'inspected'; meta: InstanceMeta }
  | {
      kind: 'rejected';
      statusCode: 400 | 422;
      reason: string;
      failureReason: FailureReason;
      sopInstanceUid: string | null;
      sopClassUid: string | null;
    }
  | { kind: 'pixels'; pixels: EncodedPixels }
  | { kind: 'model-display'; lut: ModelDisplayLut | null };

export class DicomPool {
  private readonly pool: WorkerPool<DicomTask, DicomTaskResult>;

  constructor(size: number) {
    this.pool = new WorkerPool(new URL('./dicom-worker.js', import.meta.url), { size, taskTimeoutMs: 60_000 });
  }

  whenReady(): Promise<void> {
    return this.pool.whenReady();
  }

  async inspect(
    bytes: Uint8Array,
    name: string,
  ): Promise<Extract<DicomTaskResult, { kind: 'inspected' | 'rejected' }>> {
    const result = await this.pool.run({ kind: 'inspect', bytes, name });
    if (result.kind !== 'inspected' && result.kind !== 'rejected')
      throw new Error(`dicom worker answered an inspection with ${result.kind}`);
    return result;
  }

  async pixels(file: string): Promise<EncodedPixels> {
    const result = await this.pool.run({ kind: 'pixels', file });
    if (result.kind !== 'pixels') throw new Error('dicom worker answered a pixel read with something else');
    return result.pixels;
  }

  /** The model-input contract's display transform of a stored file, as an 8-bit lookup table. */
  async modelDisplay(file: string): Promise<ModelDisplayLut | null> {
    const result = await this.pool.run({ kind: 'model-display', file });
    if (result.kind !== 'model-display') throw new Error(`dicom worker answered a display read with ${result.kind}`);
    return result.lut;
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
