// Routes for whoever runs the service: GET /health (the process answers; public), GET /ready (the
// database answers and an inference worker has loaded the bundle; public, 503 otherwise; it also says
// which test-time augmentation the workers run), and
// GET /metrics (Prometheus text; admin token).
import type { FastifyInstance } from 'fastify';
import type { ServeContext } from '../context.js';
import { errorName } from '../http-error.js';

export async function operationRoutes(app: FastifyInstance, ctx: ServeContext): Promise<void> {
  app.get('/health', async () => ({ status: 'ok' }));

  app.get('/ready', async (_request, reply) => {
    let reason = ctx.notReadyReason();
    if (!reason) {
      try {
        await ctx.store.ping();
      } catch (err) {
        reason = `the database does not answer (${(err as Error).message})`;
      }
    }
    if (reason) {
      reply.code(503);
      // {error, message} as every error answer; status and reason for the probes that read them.
      return { status: 'not ready', reason, error: errorName(503), message: reason };
    }
    return { status: 'ready', workers: ctx.runner.ready, queueDepth: await ctx.store.queueDepth(), tta: ctx.tta };
  });

  app.get('/metrics', { config: { permission: 'admin' } }, async (_request, reply) => {
    reply.type(ctx.metrics.registry.contentType);
    return ctx.metrics.registry.metrics();
  });
}
