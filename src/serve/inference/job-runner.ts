// How the service runs inference, seen from the dispatcher: a fixed number of slots, each running one
// job at a time off the event loop. Today's implementation forks child processes (process-pool.ts);
// worker threads holding their own addon instance can replace it behind the same interface.
import type { PredictionSummary, Thresholds } from '../store/store.js';

export interface InferenceJob {
  uid: string;
  /** The stored DICOM, absolute. */
  dicomFile: string;
  /** Where the worker writes UID.overlay.png and UID.mask.png, absolute. */
  outDir: string;
}

export interface InferenceOutput extends PredictionSummary {
  /** [row, column] mm from the DICOM, for the area in cm². */
  pixelSpacing: [number, number] | null;
  /** File names inside outDir; the mask only for a positive. */
  maskFile: string | null;
  overlayFile: string;
  /** Milliseconds per stage: read, preprocess, classify, segment, postprocess, encode, write. */
  timingsMs: Record<string, number>;
}

export interface BundleIdentity {
  /** The first 16 hex digits of bundle.json's SHA-256: changes with any change of the bundle's content. */
  id: string;
  /** The bundle's creation time (bundle.json createdAt), which names its version. */
  version: string;
  /** The thresholds of the operating point the workers decide at. */
  thresholds: Thresholds;
}

/** The job's worker went away (crashed, was killed); the job did not fail on its own account. */
export class WorkerDiedError extends Error {
  override name = 'WorkerDiedError';
}

/** No worker was free when the job was handed over (one died in between): the job just waits again. */
export class WorkerUnavailableError extends Error {
  override name = 'WorkerUnavailableError';
}

export interface JobRunner {
  /** Jobs that can run at once. */
  readonly capacity: number;
  /** Slots ready and free now. */
  readonly idle: number;
  /** Workers that have loaded the bundle. */
  readonly ready: number;
  /** Process ids of the live workers when they are processes (logged at start, for supervisors). */
  readonly pids?: number[];
  /** Starts the workers; resolves once at least one has loaded the bundle. */
  start(): Promise<void>;
  /** Rejects with WorkerDiedError when the worker dies mid-job, with an Error when the job itself fails. */
  run(job: InferenceJob): Promise<InferenceOutput>;
  /** Called when a slot becomes free (a job ended, a worker became ready). */
  onIdle(listener: () => void): void;
  close(): Promise<void>;
}
