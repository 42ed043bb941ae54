import { createHash, randomBytes } from 'node:crypto';

const PREFIX = 'kb_';

/** API tokens are 256 random bits; only their SHA-256 is stored. */
export function newApiToken(): { token: string; hash: Buffer } {
  const token = PREFIX + randomBytes(32).toString('base64url');
  return { token, hash: hashApiToken(token) };
}

export function hashApiToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

export function looksLikeApiToken(value: string): boolean {
  return value.startsWith(PREFIX);
}
