import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import { z } from 'zod';

export const KEY_BACKUP_FORMAT = 'keybridge.key-backup';
export const KEY_BACKUP_VERSION = 1;
/** Below the gateway's 1 MB request body limit (about 190 RSA-4096 versions), so an oversized blob gets a typed error. */
export const MAX_BACKUP_CHARS = 768 * 1024;

const b64u = z.string().regex(/^[A-Za-z0-9_-]*$/).refine(isCanonicalBase64url, 'not canonical base64url');
const iso = z.string().datetime({ offset: true }).nullable();
const jwk = z.union([
  z.object({ kty: z.literal('RSA'), n: b64u, e: b64u }).strict(),
  z.object({ kty: z.literal('EC'), crv: z.enum(['P-256', 'P-384', 'P-521', 'secp256k1']), x: b64u, y: b64u }).strict(),
]);

const headerSchema = z
  .object({
    domainId: z.string().uuid(),
    domainName: z.string().min(1).max(63),
    vault: z.string().min(1).max(63),
    createdAt: z.string().datetime({ offset: true }),
    oaepHash: z.enum(['SHA-1', 'SHA-256']),
    key: z
      .object({
        name: z.string().min(1).max(127),
        kty: z.enum(['RSA', 'EC', 'oct']),
        size: z.number().int().nullable(),
        curve: z.string().nullable(),
        keyOps: z.array(z.string().max(32)).max(16),
        tags: z.record(z.string().max(256), z.string().max(256)),
        exportable: z.literal(true),
        minDecryptVersion: z.number().int().min(1),
      })
      .strict(),
    versions: z
      .array(
        z
          .object({
            version: z.number().int().min(1),
            enabled: z.boolean(),
            nbf: iso,
            exp: iso,
            origin: z.enum(['generated', 'byok', 'transfer', 'restore']),
            publicJwk: jwk.nullable(),
          })
          .strict(),
      )
      .min(1)
      .max(1000),
  })
  .strict();

const backupSchema = z
  .object({
    format: z.literal(KEY_BACKUP_FORMAT),
    version: z.literal(KEY_BACKUP_VERSION),
    header: headerSchema,
    wrappedEphemeral: b64u,
    wrappedKeys: z.array(b64u).min(1).max(1000),
    seal: b64u,
  })
  .strict();

export type KeyBackupHeader = z.infer<typeof headerSchema>;
export type KeyBackup = z.infer<typeof backupSchema>;

export type BackupParseFailure = 'notBackup' | 'version' | 'shape';

export class BackupParseError extends Error {
  constructor(
    readonly failure: BackupParseFailure,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The bytes a backup's seal covers: SHA-256 of the RFC 8785 form of everything but the seal itself, over the
 * base64url text as written. Any changed character — header, wrapped parts, order — changes the digest.
 */
export function backupDigest(backup: Omit<KeyBackup, 'seal'>): Buffer {
  const { format, version, header, wrappedEphemeral, wrappedKeys } = backup;
  return createHash('sha256')
    .update(canonicalize({ format, version, header, wrappedEphemeral, wrappedKeys }) ?? '')
    .digest();
}

export function serializeBackup(backup: KeyBackup): string {
  // format and version first, so the blob starts with its name and version.
  const { format, version, header, wrappedEphemeral, wrappedKeys, seal } = backup;
  return JSON.stringify({ format, version, header, wrappedEphemeral, wrappedKeys, seal });
}

/** Strict: a Keybridge backup of a version this code knows, every member as written by serializeBackup. */
export function parseBackup(text: string): KeyBackup {
  if (text.length > MAX_BACKUP_CHARS) throw new BackupParseError('notBackup', `a backup is at most ${MAX_BACKUP_CHARS} characters`);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new BackupParseError('notBackup', 'not a Keybridge key backup (not JSON, or truncated)');
  }
  if (typeof raw !== 'object' || raw === null || (raw as { format?: unknown }).format !== KEY_BACKUP_FORMAT) {
    throw new BackupParseError('notBackup', `not a Keybridge key backup (format is not ${KEY_BACKUP_FORMAT})`);
  }
  const version = (raw as { version?: unknown }).version;
  if (version !== KEY_BACKUP_VERSION) {
    throw new BackupParseError('version', `key backup format version ${typeof version === 'number' ? version : '?'} is not supported (this gateway reads version ${KEY_BACKUP_VERSION})`);
  }
  const parsed = backupSchema.safeParse(raw);
  if (!parsed.success) {
    const where = parsed.error.issues[0]?.path.join('.') || '(root)';
    throw new BackupParseError('shape', `the key backup is malformed at ${where}`);
  }
  if (parsed.data.wrappedKeys.length !== parsed.data.header.versions.length) {
    throw new BackupParseError('shape', 'the key backup has not one wrapped key per version');
  }
  return parsed.data;
}

function isCanonicalBase64url(text: string): boolean {
  return Buffer.from(text, 'base64url').toString('base64url') === text;
}
