// Browser sessions opened by a one-time login link (auth/login-links.ts):
//   POST   /api/session  {code}  redeems the link's code once; sets the HttpOnly session cookie
//   GET    /api/session          who the caller is (role, label, until when), or {signedIn: false}: the
//                                page asks before it has anything to show, so not knowing is no error
//   DELETE /api/session          ends the cookie's session (log out) and clears the cookie
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ServeContext } from '../context.js';
import { httpError } from '../http-error.js';
import { endSession, openSession, sessionCookie, sessionSetCookie } from '../auth/login-links.js';
import { authenticate } from '../auth/auth-plugin.js';

const secure = (request: FastifyRequest) => request.protocol === 'https';

export async function sessionRoutes(app: FastifyInstance, ctx: ServeContext): Promise<void> {
  app.post(
    '/session',
    {
      schema: {
        body: {
          type: 'object',
          required: ['code'],
          additionalProperties: false,
          properties: { code: { type: 'string', maxLength: 200 } },
        },
      },
    },
    async (request, reply) => {
      const { code } = request.body as { code: string };
      const now = ctx.clock();
      const session = await openSession(ctx.store, code, now);
      if (!session)
        throw httpError(401, 'this login link is unknown, was used already or has expired; ask for a new one');
      reply.header('Set-Cookie', sessionSetCookie(session.secret, (session.expiresAt - now) / 1000, secure(request)));
      reply.code(201);
      return { expiresAt: new Date(session.expiresAt).toISOString() };
    },
  );

  app.get('/session', async (request) => {
    const { token, tried } = await authenticate(ctx.store, request, ctx.clock());
    if (!token) return { signedIn: false, tried };
    const expiresAt = 'sessionExpiresAt' in token ? Number(token.sessionExpiresAt) : null;
    return {
      signedIn: true,
      role: token.role,
      label: token.label,
      via: expiresAt === null ? 'bearer' : 'cookie',
      expiresAt: expiresAt === null ? null : new Date(expiresAt).toISOString(),
    };
  });

  app.delete('/session', async (request, reply) => {
    const secret = sessionCookie(request.headers.cookie);
    if (secret) await endSession(ctx.store, secret, ctx.clock());
    reply.header('Set-Cookie', sessionSetCookie('', 0, secure(request)));
    return { ended: secret !== null };
  });
}
