// Prometheus metrics of one service instance (GET /metrics): queue depth, inference and
// upload-to-result seconds, jobs by outcome, HTTP requests by route and status, and prom-client's
// process metrics (resident memory, event-loop delay). A registry per app, so tests can build several.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export interface ServeMetrics {
  registry: Registry;
  inferenceSeconds: Histogram;
  uploadToResultSeconds: Histogram;
  jobs: Counter<'outcome'>;
  requests: Counter<'route' | 'method' | 'status'>;
  uploads: Counter<'outcome'>;
}

export function createMetrics(queueDepth: () => Promise<number>, workersReady: () => number): ServeMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'pneumo_' });
  new Gauge({
    name: 'pneumo_queue_depth',
    help: 'Instances waiting for inference or running',
    registers: [registry],
    async collect() {
      this.set(await queueDepth());
    },
  });
  new Gauge({
    name: 'pneumo_inference_workers_ready',
    help: 'Inference workers that have loaded the bundle',
    registers: [registry],
    collect() {
      this.set(workersReady());
    },
  });
  return {
    registry,
    inferenceSeconds: new Histogram({
      name: 'pneumo_inference_seconds',
      help: 'Seconds a worker spent on one instance (read, predict, write pictures)',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
      registers: [registry],
    }),
    uploadToResultSeconds: new Histogram({
      name: 'pneumo_upload_to_result_seconds',
      help: 'Seconds from an acknowledged upload to its committed result',
      buckets: [0.1, 0.5, 1, 2, 5, 10, 30, 60, 300],
      registers: [registry],
    }),
    jobs: new Counter({
      name: 'pneumo_jobs_total',
      help: 'Inference jobs by outcome',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    requests: new Counter({
      name: 'pneumo_http_requests_total',
      help: 'HTTP requests by route, method and status',
      labelNames: ['route', 'method', 'status'],
      registers: [registry],
    }),
    uploads: new Counter({
      name: 'pneumo_uploaded_instances_total',
      help: 'Uploaded instances by outcome (stored, duplicate, rejected) and requests refused as overloaded',
      labelNames: ['outcome'],
      registers: [registry],
    }),
  };
}
