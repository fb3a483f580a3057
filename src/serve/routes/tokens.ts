// Token management for admins: GET /api/tokens (never the secrets), POST /api/tokens (the secret is in
// this answer only), DELETE /api/tokens/:id (revoke). `pneumo serve token create` does the same from
// the command line, which is how the first admin token is made.
import type { FastifyInstance } from 'fastify';
import type { ServeContext } from '../context.js';
import { httpError } from '../http-error.js';
import { createToken } from '../auth/tokens.js';
import { ROLES, type Role, type TokenRecord } from '../store/store.js';

const tokenView = (t: TokenRecord) => ({
  id: t.id,
  role: t.role,
  label: t.label,
  createdAt: new Date(t.createdAt).toISOString(),
  revokedAt: t.revokedAt === null ? null : new Date(t.revokedAt).toISOString(),
});

export async function tokenRoutes(app: FastifyInstance, ctx: ServeContext): Promise<void> {
  const admin = { permission: 'admin' as const };
  app.get('/tokens', { config: admin }, async () => (await ctx.store.listTokens()).map(tokenView));

  app.post(
    '/tokens',
    {
      config: admin,
      schema: {
        body: {
          type: 'object',
          required: ['role'],
          additionalProperties: false,
          properties: { role: { type: 'string', enum: ROLES }, label: { type: 'string', maxLength: 200 } },
        },
      },
    },
    async (request, reply) => {
      const { role, label } = request.body as { role: Role; label?: string };
      const created = await createToken(ctx.store, role, label ?? '', ctx.clock());
      reply.code(201);
      return { token: created.token, ...tokenView(created.record) };
    },
  );

  app.delete(
    '/tokens/:id',
    {
      config: admin,
      schema: {
        params: { type: 'object', properties: { id: { type: 'string', pattern: '^[0-9a-f]{12}$' } } },
      },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      if (!(await ctx.store.revokeToken(id, ctx.clock()))) throw httpError(404, `no live token ${id}`);
      return { revoked: id };
    },
  );
}
