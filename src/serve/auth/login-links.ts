// One-time login links and the browser sessions they open, so that a reading-room PC is set up by
// opening a link instead of typing a token. The link's code and the session's secret are random
// 32-byte strings, shown once (the code in the link, the secret in an HttpOnly cookie); the store keeps
// only their SHA-256, as for tokens. A link works once and only for a while; its session lasts a set
// time in every tab of the browser that opened it, until it expires, is ended, or its token is revoked.
import { randomBytes } from 'node:crypto';
import type { Store, TokenRecord } from '../store/store.js';
import { hashToken } from './tokens.js';

const CODE_PREFIX = 'pneumo_login_';
const SESSION_PREFIX = 'pneumo_session_';
export const SESSION_COOKIE = 'pneumo_session';
/** How long a link may wait to be opened: long enough to walk to the reading room. */
export const LOGIN_LINK_MS = 60 * 60_000;
export const DEFAULT_SESSION_HOURS = 12;

/** The link that opens a session for `tokenId`: the reading room's address with the code in its fragment. */
export async function createLoginLink(
  store: Store,
  tokenId: string,
  baseUrl: string,
  now: number,
  sessionMs: number,
): Promise<{ url: string; expiresAt: number }> {
  const code = CODE_PREFIX + randomBytes(32).toString('base64url');
  const expiresAt = now + LOGIN_LINK_MS;
  await store.addLoginLink(hashToken(code), tokenId, now, expiresAt, sessionMs);
  // In the fragment, the code never reaches a server log or a Referer header; the page posts it.
  return { url: `${baseUrl.replace(/\/+$/, '')}/#/login/${code}`, expiresAt };
}

export interface OpenedSession {
  /** The cookie's value. */
  secret: string;
  expiresAt: number;
}

/** Redeems a link's code (once) and opens its session; null when the code is unknown, used or expired. */
export async function openSession(store: Store, code: string, now: number): Promise<OpenedSession | null> {
  if (!code.startsWith(CODE_PREFIX) || code.length > 100) return null;
  const link = await store.redeemLoginLink(hashToken(code), now);
  if (!link) return null;
  const secret = SESSION_PREFIX + randomBytes(32).toString('base64url');
  const expiresAt = now + link.sessionMs;
  await store.addSession(hashToken(secret), link.tokenId, now, expiresAt);
  return { secret, expiresAt };
}

/** The token a session cookie stands for, or null. */
export async function verifySession(
  store: Store,
  secret: string,
  now: number,
): Promise<(TokenRecord & { sessionExpiresAt: number }) | null> {
  if (!secret.startsWith(SESSION_PREFIX) || secret.length > 100) return null;
  return store.sessionToken(hashToken(secret), now);
}

export async function endSession(store: Store, secret: string, now: number): Promise<void> {
  if (secret.startsWith(SESSION_PREFIX)) await store.endSession(hashToken(secret), now);
}

/** The session secret in a Cookie header, or null. */
export function sessionCookie(header: string | undefined): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === SESSION_COOKIE) return part.slice(eq + 1).trim() || null;
  }
  return null;
}

/** Set-Cookie for a session: HttpOnly (no script reads it), SameSite=Strict (no other site sends it). */
export function sessionSetCookie(secret: string, maxAgeSeconds: number, secure: boolean): string {
  return [
    `${SESSION_COOKIE}=${secret}`,
    'Path=/',
    'HttpOnly',
    'SameSite=Strict',
    `Max-Age=${Math.max(0, Math.floor(maxAgeSeconds))}`,
    ...(secure ? ['Secure'] : []),
  ].join('; ');
}
