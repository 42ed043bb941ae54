import { OaepHash } from '@keybridge/hsm';
import { invalidArgument } from '@keybridge/keys';
import { decodeBase64Url } from '@keybridge/platform';
import { ByokError, ByokErrorCode } from '../byok.errors';
import { BYOK_ALG, BYOK_ENC, BYOK_SCHEMA_VERSION, MAX_BLOB_CHARS } from '../formats/byok-format';

export type BlobFormat = 'byok' | 'raw';

export interface ImportBlobInput {
  format: string;
  /** The .byok JSON text, or the raw blob in base64 (standard or URL alphabet). */
  blob: string;
  transportKid?: string | null;
  oaepHash?: string | null;
}

export interface ParsedBlob {
  format: BlobFormat;
  transportKid: string;
  oaepHash: OaepHash;
  /** RSA-OAEP part || AES-KWP part. */
  bytes: Buffer;
}

/** The smallest possible blob: a 2048-bit OAEP part and the shortest RFC 5649 output. */
export const MIN_BLOB_BYTES = 256 + 16;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const HASHES: Record<string, OaepHash> = { 'SHA-1': 'SHA-1', SHA1: 'SHA-1', 'SHA-256': 'SHA-256', SHA256: 'SHA-256' };

const invalidBlob = (message: string): ByokError => new ByokError(ByokErrorCode.INVALID_BLOB, message, { field: 'blob' });
const unsupportedFormat = (message: string): ByokError => new ByokError(ByokErrorCode.UNSUPPORTED_BLOB_FORMAT, message, { field: 'blob' });

/** Size first (before any parsing), then format, hash, encoding and the smallest possible length. */
export function parseImportBlob(input: ImportBlobInput): ParsedBlob {
  if (input.blob.length > MAX_BLOB_CHARS) {
    throw new ByokError(ByokErrorCode.BLOB_TOO_LARGE, `blob is larger than ${MAX_BLOB_CHARS} characters`, { field: 'blob', limit: MAX_BLOB_CHARS });
  }
  const hash = input.oaepHash === null || input.oaepHash === undefined ? undefined : HASHES[input.oaepHash.toUpperCase()];
  if (input.oaepHash !== null && input.oaepHash !== undefined && !hash) throw invalidArgument('oaepHash must be SHA-1 or SHA-256', 'oaepHash');
  let parsed: ParsedBlob;
  switch (input.format) {
    case 'byok':
      parsed = parseByokFile(input.blob, input.transportKid ?? undefined, hash);
      break;
    case 'raw': {
      if (!input.transportKid) throw invalidArgument('a raw blob needs transportKid', 'transportKid');
      if (!hash) throw invalidArgument('a raw blob needs oaepHash (SHA-1 or SHA-256)', 'oaepHash');
      const bytes = decodeBase64Any(input.blob);
      if (!bytes) throw invalidBlob('blob is not base64 or base64url');
      parsed = { format: 'raw', transportKid: input.transportKid, oaepHash: hash, bytes };
      break;
    }
    default:
      throw invalidArgument('format must be byok (Azure .byok JSON) or raw (CKM_RSA_AES_KEY_WRAP bytes)', 'format');
  }
  if (parsed.bytes.length < MIN_BLOB_BYTES) throw invalidBlob(`blob is ${parsed.bytes.length} bytes; the smallest possible is ${MIN_BLOB_BYTES}`);
  return parsed;
}

function parseByokFile(text: string, transportKid: string | undefined, hash: OaepHash | undefined): ParsedBlob {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw invalidBlob('blob is not JSON (format byok expects an Azure .byok file)');
  }
  if (!isRecord(value)) throw invalidBlob('a .byok file is a JSON object');
  if (typeof value.schema_version !== 'string') throw invalidBlob('a .byok file has a schema_version');
  if (value.schema_version !== BYOK_SCHEMA_VERSION) throw unsupportedFormat(`unsupported .byok schema_version; expected ${BYOK_SCHEMA_VERSION}`);
  const header = value.header;
  if (!isRecord(header) || typeof header.kid !== 'string' || typeof header.alg !== 'string' || typeof header.enc !== 'string') {
    throw invalidBlob('a .byok file has a header with kid, alg and enc');
  }
  if (header.alg !== BYOK_ALG) throw unsupportedFormat(`unsupported .byok header alg; expected ${BYOK_ALG}`);
  if (header.enc !== BYOK_ENC) throw unsupportedFormat(`unsupported .byok header enc; expected ${BYOK_ENC}`);
  if (typeof value.ciphertext !== 'string') throw invalidBlob('a .byok file has a ciphertext');
  if (value.generator !== undefined && typeof value.generator !== 'string') throw invalidBlob('the .byok generator is a string');
  const bytes = decodeBase64Url(value.ciphertext);
  if (!bytes) throw invalidBlob('the .byok ciphertext is not base64url');
  if (transportKid !== undefined && transportKid !== header.kid) throw invalidArgument('transportKid differs from the kid in the .byok header', 'transportKid');
  if (hash === 'SHA-256') throw invalidArgument('.byok blobs use RSA-OAEP with SHA-1; send a raw blob to import a SHA-256 one', 'oaepHash');
  return { format: 'byok', transportKid: header.kid, oaepHash: 'SHA-1', bytes };
}

/** Strict base64 in either alphabet (not mixed); undefined otherwise. */
function decodeBase64Any(value: string): Buffer | undefined {
  if (/[+/]/.test(value)) {
    if (!BASE64.test(value) || value.length % 4 !== 0) return undefined;
    return Buffer.from(value, 'base64');
  }
  return decodeBase64Url(value);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
