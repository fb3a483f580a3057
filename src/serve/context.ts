// What the route plugins share: the store, the decoding pool, the dispatcher and runner, metrics, the
// clock and the settings. Built once in app.ts and handed to each plugin as its options.
import type { Store } from './store/store.js';
import type { DicomPool } from './ingest/dicom-pool.js';
import type { Dispatcher } from './queue/dispatcher.js';
import type { JobRunner } from './inference/job-runner.js';
import type { ServeMetrics } from './metrics.js';
import type { TtaName } from '../pipeline/tta.js';
import type { Monitor } from './monitoring/monitor.js';

export interface ServeContext {
  store: Store;
  dicomPool: DicomPool;
  dispatcher: Dispatcher;
  runner: JobRunner;
  metrics: ServeMetrics;
  /** Monitoring: volumes, shares, latency, agreement and drift against the bundle's reference. */
  monitor: Monitor;
  /** Milliseconds since the epoch; tests pass a clock they move by hand. */
  clock: () => number;
  storeDir: string;
  /** Instances queued or running at which uploads are refused with 503. */
  queueLimit: number;
  /** An unreviewed instance older than this goes to the top of the worklist. */
  escalateAfterMs: number;
  /** The test-time augmentation the inference workers run with (reported by /ready). */
  tta: TtaName;
  /** Why the service is not ready (no inference worker, ...), or null. */
  notReadyReason(): string | null;
}
