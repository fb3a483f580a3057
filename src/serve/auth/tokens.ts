// Bearer tokens: 32 random bytes, shown once when made; the store keeps only their SHA-256. A token
// carries enough entropy that a plain hash cannot be reversed by search, so no slow password hash is
// needed, and lookup by hash is one indexed read.
import { createHash, randomBytes } from 'node:crypto';
import type { Role, Store, TokenRecord } from '../store/store.js';

const PREFIX = 'pneumo_';

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export interface CreatedToken {
  /** The secret: printed once, never stored. */
  token: string;
  record: TokenRecord;
}

/** Makes a token with a role and a label (who holds it), stores its hash, and returns the secret once. */
export async function createToken(store: Store, role: Role, label: string, now: number): Promise<CreatedToken> {
  const token = PREFIX + randomBytes(32).toString('base64url');
  const id = randomBytes(6).toString('hex');
  await store.addToken(id, hashToken(token), role, label, now);
  return { token, record: { id, role, label, createdAt: now, revokedAt: null } };
}

/** The live token record a secret stands for, or null (unknown, revoked or malformed). */
export async function verifyToken(store: Store, token: string): Promise<TokenRecord | null> {
  if (!token.startsWith(PREFIX) || token.length > 100) return null;
  const record = await store.tokenByHash(hashToken(token));
  return record && record.revokedAt === null ? record : null;
}

/**
 * What each role may do: uploaders send images, reviewers read (the patient's identity included) and
 * review, admins do both and manage tokens.
 */
export type Permission = 'upload' | 'read' | 'review' | 'admin';

const GRANTS: Record<Role, readonly Permission[]> = {
  uploader: ['upload'],
  reviewer: ['read', 'review'],
  admin: ['upload', 'read', 'review', 'admin'],
};

export function roleAllows(role: Role, permission: Permission): boolean {
  return GRANTS[role].includes(permission);
}
