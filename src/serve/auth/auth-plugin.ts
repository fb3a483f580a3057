// Authentication for every route that declares the permission it needs (`config: { permission }`); a
// route without one is public (health, readiness, the web app's static files). A bearer token, or a
// browser session's cookie (login-links.ts) when there is no Authorization header. None, or an
// unknown one: 401 with WWW-Authenticate; a token whose role lacks the permission: 403. The token's
// record is put on the request for the handlers (the reviewer's name).
import fp from 'fastify-plugin';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Store, TokenRecord } from '../store/store.js';
import { roleAllows, verifyToken, type Permission } from './tokens.js';
import { sessionCookie, verifySession } from './login-links.js';
import { httpError } from '../http-error.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    permission?: Permission;
  }
  interface FastifyRequest {
    token: TokenRecord | null;
  }
}

function bearer(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match ? match[1] : null;
}

/** Who a request comes from: the bearer token's record, else the session cookie's, else null (and which was tried). */
export async function authenticate(
  store: Store,
  request: FastifyRequest,
  now: number,
): Promise<{ token: TokenRecord | null; tried: 'bearer' | 'cookie' | null }> {
  const secret = bearer(request);
  if (secret) return { token: await verifyToken(store, secret), tried: 'bearer' };
  const cookie = sessionCookie(request.headers.cookie);
  if (cookie) return { token: await verifySession(store, cookie, now), tried: 'cookie' };
  return { token: null, tried: null };
}

export const authPlugin = fp(
  async (app: FastifyInstance, options: { store: Store; clock: () => number }) => {
    app.decorateRequest('token', null);
    app.addHook('onRequest', async (request, reply) => {
      const permission = request.routeOptions.config?.permission;
      if (!permission) return;
      const { token, tried } = await authenticate(options.store, request, options.clock());
      if (!token) {
        reply.header('WWW-Authenticate', 'Bearer realm="pneumo"');
        throw httpError(
          401,
          tried === 'bearer'
            ? 'the bearer token is unknown or revoked'
            : tried === 'cookie'
              ? 'the session has expired or was ended; open a new login link'
              : 'a bearer token is required',
        );
      }
      if (!roleAllows(token.role, permission))
        throw httpError(403, `the ${token.role} role may not ${permission} (token ${token.id})`);
      request.token = token;
    });
  },
  { name: 'pneumo-auth' },
);
