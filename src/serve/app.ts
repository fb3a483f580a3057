// The service as a fastify app (docs/serve.md). buildApp() wires the store, the DICOM decoding pool,
// the inference runner and the dispatcher into route plugins and returns the app without listening:
// tests drive it with inject(), `pneumo serve` calls listen(). Closing the app stops claiming jobs,
// stops the workers and closes the database; jobs that were running are redone at the next start.
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import helmet from '@fastify/helmet';
import { PROJECT_ROOT } from '../project-paths.js';
import { authPlugin } from './auth/auth-plugin.js';
import type { ServeContext } from './context.js';
import { DicomPool } from './ingest/dicom-pool.js';
import { bundleIdentity } from './inference/bundle-identity.js';
import { onnxModelRoutes } from './routes/onnx-models.js';
import type { JobRunner } from './inference/job-runner.js';
import { ProcessPool } from './inference/process-pool.js';
import { errorName } from './http-error.js';
import { REDACTED_LOG_PATHS } from './log-redaction.js';
import { createMetrics } from './metrics.js';
import { Dispatcher } from './queue/dispatcher.js';
import { instanceRoutes } from './routes/instances.js';
import { operationRoutes } from './routes/operations.js';
import { reviewRoutes } from './routes/reviews.js';
import { stowRoutes } from './routes/stow.js';
import { tokenRoutes } from './routes/tokens.js';
import { sessionRoutes } from './routes/sessions.js';
import { auditRoutes } from './routes/audit.js';
import { monitoringRoutes } from './routes/monitoring.js';
import { loadReference, Monitor } from './monitoring/monitor.js';
import { registerMonitoringMetrics } from './monitoring/monitoring-metrics.js';
import { DEFAULT_DRIFT_SETTINGS, type DriftSettings } from './monitoring/monitoring-report.js';
import { SqliteStore } from './store/sqlite-store.js';
import type { Runtime } from '../pipeline/model-engine.js';
import type { TtaName } from '../pipeline/tta.js';
import type { OperatingPointName } from '../pipeline/bundle-manifest.js';
import type { GateSettings } from '../pipeline/input-gate.js';
import { DATABASE_FILE, DERIVED_DIR, prepareStoreDir } from './store/store-layout.js';

export interface ServeOptions {
  bundleDir: string;
  storeDir: string;
  /** Inference worker processes; default 1. */
  workers?: number;
  /** Compute threads per inference worker; default the cores shared among the workers. */
  threadsPerWorker?: number;
  /** The workers' inference engine: libtorch (default) or onnx. */
  runtime?: Runtime;
  /** The workers' test-time augmentation: none (default) or hflip. */
  tta?: TtaName;
  /** The bundle's operating point results are decided at (the worklist flag, overlay, SR); 'triage' by default. */
  operatingPoint?: OperatingPointName;
  /** The input gate's settings; on with the default rules when absent. */
  gate?: GateSettings;
  /** Worker threads that decode DICOM (upload checks, pixels); default 1. */
  dicomThreads?: number;
  /** Instances queued or running at which uploads get 503; default 64. */
  queueLimit?: number;
  /** Largest request body in bytes (413 above); default 64 MiB. */
  maxUploadBytes?: number;
  /** Minutes after which an unreviewed instance tops the worklist; default 60. */
  escalateAfterMinutes?: number;
  clock?: () => number;
  /** Origins allowed by CORS; none (CORS off) by default. */
  corsOrigins?: readonly string[];
  /** pino settings; `false` for no log. */
  logger?: { level?: string; stream?: NodeJS.WritableStream } | false;
  /** The browser app's built files; default web/dist in the project when it exists. */
  webDist?: string | null;
  /** Drift levels and windows of monitoring (monitoring-report.ts's defaults for what is left out). */
  drift?: Partial<DriftSettings>;
}

export interface BuiltApp {
  app: FastifyInstance;
  ctx: ServeContext;
  runner: JobRunner;
}

export const DEFAULT_QUEUE_LIMIT = 64;
export const DEFAULT_MAX_UPLOAD_BYTES = 64 * 1024 * 1024;
export const DEFAULT_ESCALATE_AFTER_MINUTES = 60;

function contentSecurityPolicy() {
  return {
    useDefaults: false,
    directives: {
      defaultSrc: ["'self'"],
      // WebAssembly compilation for onnxruntime-web (the in-browser models); no eval of scripts.
      scriptSrc: ["'self'", "'wasm-unsafe-eval'"],
      styleSrc: ["'self'"],
      imgSrc: ["'self'", 'data:', 'blob:'],
      connectSrc: ["'self'"],
      objectSrc: ["'none'"],
      baseUri: ["'self'"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
    },
  };
}

/**
 * The web app's bundles carry a content hash in their names (web/build.mjs), so a browser may keep
 * them for a year; index.html, which names them, is revalidated on every load.
 */
export function webCacheControl(file: string): string {
  return /-[A-Z0-9]{8}\.(js|css)(\.map)?$/.test(file) ? 'public, max-age=31536000, immutable' : 'no-cache';
}

export async function buildApp(options: ServeOptions): Promise<BuiltApp> {
  const storeDir = path.resolve(options.storeDir);
  const workers = options.workers ?? 1;
  const clock = options.clock ?? Date.now;
  const bundle = await bundleIdentity(options.bundleDir, options.operatingPoint);
  await prepareStoreDir(storeDir);
  const logger =
    options.logger === false
      ? false
      : {
          level: options.logger?.level ?? 'info',
          redact: { paths: [...REDACTED_LOG_PATHS], censor: '[redacted]' },
          ...(options.logger?.stream ? { stream: options.logger.stream } : {}),
        };
  const app = Fastify({ logger, bodyLimit: options.maxUploadBytes ?? DEFAULT_MAX_UPLOAD_BYTES });
  const store = new SqliteStore(path.join(storeDir, DATABASE_FILE));
  const runner = new ProcessPool({
    bundleDir: path.resolve(options.bundleDir),
    workers,
    threads: options.threadsPerWorker ?? Math.max(1, Math.floor(availableParallelism() / workers)),
    runtime: options.runtime ?? 'libtorch',
    tta: options.tta ?? 'none',
    operatingPoint: options.operatingPoint,
    gate: options.gate,
    onWorkerProblem: (reason) => app.log.warn(reason),
  });
  const dicomPool = new DicomPool(options.dicomThreads ?? 1);
  const metrics = createMetrics(
    () => store.queueDepth(),
    () => runner.ready,
  );
  const reference = await loadReference(options.bundleDir);
  if (reference.note) app.log.info({ reason: reference.note }, 'monitoring without drift figures');
  const monitor = new Monitor({
    store,
    settings: { ...DEFAULT_DRIFT_SETTINGS, ...options.drift },
    clock,
    log: app.log,
    reference: reference.reference,
    referenceNote: reference.note,
  });
  registerMonitoringMetrics(metrics.registry, () => monitor.cachedCheck());
  const dispatcher = new Dispatcher({
    store,
    runner,
    storeDir,
    derivedDir: DERIVED_DIR,
    bundle,
    clock,
    metrics,
    log: app.log,
    onResult: () => monitor.schedule(),
  });
  const ctx: ServeContext = {
    store,
    dicomPool,
    dispatcher,
    runner,
    metrics,
    monitor,
    clock,
    storeDir,
    queueLimit: options.queueLimit ?? DEFAULT_QUEUE_LIMIT,
    escalateAfterMs: (options.escalateAfterMinutes ?? DEFAULT_ESCALATE_AFTER_MINUTES) * 60_000,
    tta: options.tta ?? 'none',
    notReadyReason: () =>
      runner.ready > 0
        ? null
        : (runner instanceof ProcessPool && runner.brokenReason) || 'no inference worker has loaded the bundle yet',
  };

  app.setErrorHandler((error: FastifyError & { headers?: Record<string, string> }, request, reply) => {
    const status = error.statusCode && error.statusCode >= 400 ? error.statusCode : 500;
    if (status >= 500 && status !== 503) request.log.error({ err: error }, 'request failed');
    if (error.headers) reply.headers(error.headers);
    reply.code(status).send({
      error: errorName(status),
      message: status === 500 ? 'internal error (see the service log)' : error.message,
    });
  });
  app.addHook('onResponse', async (request, reply) => {
    metrics.requests.inc({
      route: request.routeOptions.url ?? 'unmatched',
      method: request.method,
      status: String(reply.statusCode),
    });
  });
  app.addHook('onClose', async () => {
    // Each step timed in the log, so that a slow stop names its cause.
    const step = async (name: string, fn: () => unknown) => {
      const started = performance.now();
      await fn();
      app.log.info({ step: name, ms: Math.round(performance.now() - started) }, 'shutdown step done');
    };
    dispatcher.close();
    monitor.close();
    await step('inference workers', () => runner.close());
    await step('dispatcher drained', () => dispatcher.drain());
    await step('DICOM decoders', () => dicomPool.close());
    await step('store', () => store.close());
  });

  await app.register(helmet, { contentSecurityPolicy: contentSecurityPolicy(), frameguard: { action: 'deny' } });
  if (options.corsOrigins && options.corsOrigins.length > 0) {
    const { default: cors } = await import('@fastify/cors');
    await app.register(cors, {
      origin: [...options.corsOrigins],
      allowedHeaders: ['Authorization', 'Content-Type'],
      exposedHeaders: [
        'Retry-After',
        'X-Pixel-Columns',
        'X-Pixel-Rows',
        'X-Sample-Type',
        'X-Bits-Stored',
        'X-Photometric-Interpretation',
        'X-Rescale-Slope',
        'X-Rescale-Intercept',
        'X-Window-Center',
        'X-Window-Width',
      ],
    });
  }
  await app.register(authPlugin, { store, clock });
  await app.register(operationRoutes, ctx);
  await app.register(stowRoutes, { ...ctx, prefix: '/dicom-web' });
  await app.register(instanceRoutes, { ...ctx, prefix: '/api' });
  await app.register(reviewRoutes, { ...ctx, prefix: '/api' });
  await app.register(tokenRoutes, { ...ctx, prefix: '/api' });
  await app.register(sessionRoutes, { ...ctx, prefix: '/api' });
  await app.register(auditRoutes, { ...ctx, prefix: '/api' });
  await app.register(monitoringRoutes, { ...ctx, prefix: '/api' });
  await app.register(onnxModelRoutes, { bundleDir: path.resolve(options.bundleDir), bundleId: bundle.id, storeDir });
  const webDist = options.webDist === undefined ? path.join(PROJECT_ROOT, 'web', 'dist') : options.webDist;
  if (webDist && existsSync(webDist)) {
    const { default: fastifyStatic } = await import('@fastify/static');
    await app.register(fastifyStatic, {
      root: path.resolve(webDist),
      prefix: '/',
      cacheControl: false,
      setHeaders: (res, file) => res.setHeader('Cache-Control', webCacheControl(file)),
    });
  }

  await dicomPool.whenReady();
  const requeued = await dispatcher.start();
  if (requeued > 0) app.log.info({ requeued }, 'jobs left running by an earlier process are queued again');
  runner.start().catch((err: Error) => app.log.error({ err: err.message }, 'no inference worker could start'));
  return { app, ctx, runner };
}
