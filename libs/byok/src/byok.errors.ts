import { DomainError } from '@keybridge/platform';

export enum ByokErrorCode {
  /** No transport key with that kid in the vault (or it is not a transport kid at all). */
  TRANSPORT_KEY_NOT_FOUND = 'TRANSPORT_KEY_NOT_FOUND',
  /** The kid names a transport key of another vault: a blob is imported only into the vault its key belongs to. */
  TRANSPORT_KEY_WRONG_VAULT = 'TRANSPORT_KEY_WRONG_VAULT',
  TRANSPORT_KEY_EXPIRED = 'TRANSPORT_KEY_EXPIRED',
  /** Every allowed use (maxUses, default 1) has been spent. */
  TRANSPORT_KEY_USED = 'TRANSPORT_KEY_USED',
  TRANSPORT_KEY_REVOKED = 'TRANSPORT_KEY_REVOKED',
  /** The blob argument is over the limit (MAX_BLOB_CHARS); refused before it is parsed. */
  BLOB_TOO_LARGE = 'BLOB_TOO_LARGE',
  /** Not a blob: malformed JSON, bad base64/base64url, too short, parts of the wrong length. */
  INVALID_BLOB = 'INVALID_BLOB',
  /** A .byok file of another schema_version, alg or enc. */
  UNSUPPORTED_BLOB_FORMAT = 'UNSUPPORTED_BLOB_FORMAT',
  /** The RSA-OAEP or the AES-KWP part failed its integrity check: tampered, another transport key, another hash. */
  BLOB_INTEGRITY_FAILED = 'BLOB_INTEGRITY_FAILED',
  /** The key in the blob is not the declared type, size or curve. */
  KEY_MATERIAL_MISMATCH = 'KEY_MATERIAL_MISMATCH',
  /** The key in the blob is one Keybridge never accepts (RSA below 2048 bits, a curve it does not support). */
  UNSUPPORTED_KEY_MATERIAL = 'UNSUPPORTED_KEY_MATERIAL',
  /** The declared EC public key is not the public half of the key in the blob. */
  PUBLIC_KEY_MISMATCH = 'PUBLIC_KEY_MISMATCH',
}

export class ByokError extends DomainError<ByokErrorCode> {
  constructor(code: ByokErrorCode, message: string, details: Record<string, string | number | boolean> = {}) {
    super(code, message, details);
  }
}
