// The audit log, for admins: GET /api/audit?limit=N, newest first. Who opened which study is written
// where it happens (routes/instances.ts, when the reading room fetches an instance).
import type { FastifyInstance } from 'fastify';
import type { ServeContext } from '../context.js';

export async function auditRoutes(app: FastifyInstance, ctx: ServeContext): Promise<void> {
  app.get(
    '/audit',
    {
      config: { permission: 'admin' },
      schema: {
        querystring: {
          type: 'object',
          properties: { limit: { type: 'integer', minimum: 1, maximum: 5000, default: 200 } },
          additionalProperties: false,
        },
      },
    },
    async (request) => {
      const { limit } = request.query as { limit: number };
      return (await ctx.store.auditEvents(limit)).map((e) => ({ ...e, at: new Date(e.at).toISOString() }));
    },
  );
}
