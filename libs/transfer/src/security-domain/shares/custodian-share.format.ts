import { constants, createHash, createPublicKey, JsonWebKey, KeyObject, privateDecrypt, publicEncrypt } from 'node:crypto';
import { z } from 'zod';

/**
 * The two files a custodian handles (node:crypto and zod only, so the CLI can use them without Nest):
 *
 * - `keybridge.custodian-share` v1: one Shamir share of a security domain's recovery secret, RSA-OAEP encrypted
 *   (SHA-256, MGF1-SHA-256, no label) to one custodian's public key, named by the SHA-256 of its SPKI DER.
 * - `keybridge.decrypted-share` v1: the same share in the clear, what the custodian hands to the gateway.
 */
export const CUSTODIAN_SHARE_FORMAT = 'keybridge.custodian-share';
export const DECRYPTED_SHARE_FORMAT = 'keybridge.decrypted-share';
export const SHARE_FORMAT_VERSION = 1;
export const MIN_CUSTODIAN_KEY_BITS = 2048;

/** Room for a 255-byte share under an RSA-16384 key, with JSON around it; anything larger is not ours. */
const MAX_TEXT_LENGTH = 16_384;

export type ShareFormatErrorReason = 'format' | 'version' | 'field' | 'custodianKey' | 'wrongCustodianKey' | 'decrypt';

/** Messages name what is wrong, never share bytes, key bytes or ciphertext. */
export class ShareFormatError extends Error {
  override readonly name = 'ShareFormatError';

  constructor(
    readonly reason: ShareFormatErrorReason,
    message: string,
  ) {
    super(message);
  }
}

export interface CustodianShare {
  format: typeof CUSTODIAN_SHARE_FORMAT;
  version: typeof SHARE_FORMAT_VERSION;
  domainId: string;
  domainName: string;
  /** The custodian's position, 1..N; not the Shamir x coordinate (that travels inside the share). */
  index: number;
  threshold: number;
  /** Lowercase hex SHA-256 of the custodian public key's SPKI DER. */
  custodianKeySha256: string;
  oaepHash: 'SHA-256';
  /** base64url RSA-OAEP ciphertext of the raw share bytes. */
  ciphertext: string;
}

export interface DecryptedShare {
  format: typeof DECRYPTED_SHARE_FORMAT;
  version: typeof SHARE_FORMAT_VERSION;
  domainId: string;
  index: number;
  share: Buffer;
}

export interface EncryptShareArgs {
  domainId: string;
  domainName: string;
  index: number;
  threshold: number;
  share: Buffer;
  custodianKey: KeyObject;
}

const base64url = z.string().regex(/^[A-Za-z0-9_-]+$/);
const index = z.number().int().min(1).max(255);

const custodianShareSchema = z
  .object({
    format: z.literal(CUSTODIAN_SHARE_FORMAT),
    version: z.literal(SHARE_FORMAT_VERSION),
    domainId: z.uuid(),
    domainName: z.string().min(1).max(256),
    index,
    threshold: z.number().int().min(2).max(255),
    custodianKeySha256: z.string().regex(/^[0-9a-f]{64}$/),
    oaepHash: z.literal('SHA-256'),
    ciphertext: base64url,
  })
  .strict();

const decryptedShareSchema = z
  .object({
    format: z.literal(DECRYPTED_SHARE_FORMAT),
    version: z.literal(SHARE_FORMAT_VERSION),
    domainId: z.uuid(),
    index,
    share: base64url,
  })
  .strict();

/** A custodian's public key: SPKI PEM (`BEGIN PUBLIC KEY`) or a public JWK as JSON. RSA of 2048 bits or more. */
export function parseCustodianPublicKey(text: string): KeyObject {
  const trimmed = text.trim();
  let key: KeyObject;
  if (trimmed.startsWith('{')) {
    let jwk: unknown;
    try {
      jwk = JSON.parse(trimmed);
    } catch {
      throw new ShareFormatError('custodianKey', 'the custodian key is neither an SPKI PEM nor a JWK (not JSON)');
    }
    const members = record(jwk);
    if (!members) throw new ShareFormatError('custodianKey', 'the custodian key JWK is not a JSON object');
    // createPublicKey would happily derive the public half of a private JWK: refuse it, someone pasted the wrong file.
    if ('d' in members) throw new ShareFormatError('custodianKey', 'the custodian key is a private JWK: give the public key only');
    try {
      key = createPublicKey({ key: members as JsonWebKey, format: 'jwk' });
    } catch {
      throw new ShareFormatError('custodianKey', 'the custodian key JWK is not a valid public key');
    }
  } else {
    if (!/^-----BEGIN PUBLIC KEY-----\r?\n[\s\S]+\r?\n-----END PUBLIC KEY-----$/.test(trimmed)) {
      throw new ShareFormatError('custodianKey', 'the custodian key is neither an SPKI PEM (BEGIN PUBLIC KEY) nor a JWK');
    }
    try {
      key = createPublicKey({ key: trimmed, format: 'pem', type: 'spki' });
    } catch {
      throw new ShareFormatError('custodianKey', 'the custodian key PEM does not hold a valid public key');
    }
  }
  assertCustodianKey(key);
  return key;
}

/** Lowercase hex SHA-256 of the SPKI DER of the key (or of a private key's public half). */
export function custodianKeyFingerprint(key: KeyObject): string {
  if (key.type === 'secret') throw new ShareFormatError('custodianKey', 'a custodian key is an asymmetric key, not a secret key');
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  return createHash('sha256').update(publicKey.export({ format: 'der', type: 'spki' })).digest('hex');
}

export function encryptShare(args: EncryptShareArgs): CustodianShare {
  if (args.custodianKey.type !== 'public') throw new ShareFormatError('custodianKey', 'shares are encrypted to a custodian public key');
  assertCustodianKey(args.custodianKey);
  if (args.share.length < 2 || args.share.length > 256) throw new ShareFormatError('field', 'a share is 2 to 256 bytes');
  let ciphertext: Buffer;
  try {
    ciphertext = publicEncrypt({ key: args.custodianKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, args.share);
  } catch {
    throw new ShareFormatError('custodianKey', 'the share does not fit RSA-OAEP-SHA-256 under this custodian key');
  }
  const share: CustodianShare = {
    format: CUSTODIAN_SHARE_FORMAT,
    version: SHARE_FORMAT_VERSION,
    domainId: args.domainId,
    domainName: args.domainName,
    index: args.index,
    threshold: args.threshold,
    custodianKeySha256: custodianKeyFingerprint(args.custodianKey),
    oaepHash: 'SHA-256',
    ciphertext: ciphertext.toString('base64url'),
  };
  // Never hand out a file that our own parser would refuse.
  if (!custodianShareSchema.safeParse(share).success) {
    throw new ShareFormatError('field', 'domainId, domainName, index or threshold is out of range for a custodian share');
  }
  return share;
}

export function serializeCustodianShare(share: CustodianShare): string {
  const { format, version, domainId, domainName, index, threshold, custodianKeySha256, oaepHash, ciphertext } = share;
  return JSON.stringify({ format, version, domainId, domainName, index, threshold, custodianKeySha256, oaepHash, ciphertext });
}

/** Strict parse of a `keybridge.custodian-share` v1 file; the ciphertext is checked by decryption only. */
export function parseCustodianShare(text: string): CustodianShare {
  const members = parseEnvelope(text, CUSTODIAN_SHARE_FORMAT, 'an encrypted custodian share');
  const result = custodianShareSchema.safeParse(members);
  if (!result.success) throw new ShareFormatError('field', `the custodian share has a missing, unknown or invalid member (${paths(result.error)})`);
  return result.data;
}

/**
 * Opens a custodian share with the custodian's private key. The key must be the one the share names: a different
 * key is refused before any decryption is attempted.
 */
export function decryptCustodianShare(encryptedJsonText: string, privateKey: KeyObject): DecryptedShare {
  const encrypted = parseCustodianShare(encryptedJsonText);
  if (privateKey.type !== 'private' || privateKey.asymmetricKeyType !== 'rsa') {
    throw new ShareFormatError('wrongCustodianKey', 'the key is not an RSA private key, so it is not the custodian key this share was encrypted to');
  }
  if (custodianKeyFingerprint(privateKey) !== encrypted.custodianKeySha256) {
    throw new ShareFormatError(
      'wrongCustodianKey',
      `the private key is not the custodian key this share was encrypted to (the share names SPKI SHA-256 ${encrypted.custodianKeySha256})`,
    );
  }
  const ciphertext = Buffer.from(encrypted.ciphertext, 'base64url');
  const modulusBytes = Math.ceil((privateKey.asymmetricKeyDetails?.modulusLength ?? 0) / 8);
  if (ciphertext.length !== modulusBytes) throw new ShareFormatError('decrypt', `the ciphertext is not ${modulusBytes} bytes long, as the custodian key requires`);
  let share: Buffer;
  try {
    share = privateDecrypt({ key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, ciphertext);
  } catch {
    throw new ShareFormatError('decrypt', 'the share does not decrypt with the custodian key (RSA-OAEP-SHA-256): the ciphertext was altered');
  }
  if (share.length < 2 || share.length > 256) {
    share.fill(0);
    throw new ShareFormatError('decrypt', 'the decrypted share is not 2 to 256 bytes long');
  }
  return { format: DECRYPTED_SHARE_FORMAT, version: SHARE_FORMAT_VERSION, domainId: encrypted.domainId, index: encrypted.index, share };
}

/** Strict parse of a `keybridge.decrypted-share` v1 file, as handed to the gateway. */
export function parseDecryptedShare(text: string): DecryptedShare {
  const members = parseEnvelope(text, DECRYPTED_SHARE_FORMAT, 'a decrypted share');
  const result = decryptedShareSchema.safeParse(members);
  if (!result.success) throw new ShareFormatError('field', `the decrypted share has a missing, unknown or invalid member (${paths(result.error)})`);
  const share = Buffer.from(result.data.share, 'base64url');
  // Round-tripping rejects non-canonical base64url (a length of 1 mod 4, stray low bits) that Buffer.from would accept.
  if (share.toString('base64url') !== result.data.share || share.length < 2 || share.length > 256) {
    share.fill(0);
    throw new ShareFormatError('field', 'the decrypted share member "share" is not canonical base64url of 2 to 256 bytes');
  }
  return { format: DECRYPTED_SHARE_FORMAT, version: SHARE_FORMAT_VERSION, domainId: result.data.domainId, index: result.data.index, share };
}

export function serializeDecryptedShare(share: DecryptedShare): string {
  const { format, version, domainId, index } = share;
  return JSON.stringify({ format, version, domainId, index, share: share.share.toString('base64url') });
}

function assertCustodianKey(key: KeyObject): void {
  if (key.asymmetricKeyType !== 'rsa') {
    throw new ShareFormatError('custodianKey', `a custodian key must be RSA (for RSA-OAEP), not ${key.asymmetricKeyType ?? 'a secret key'}`);
  }
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits < MIN_CUSTODIAN_KEY_BITS) throw new ShareFormatError('custodianKey', `a custodian key must be RSA-${MIN_CUSTODIAN_KEY_BITS} or larger, not RSA-${bits}`);
}

/** JSON object with the expected `format` and `version`, or the matching ShareFormatError. */
function parseEnvelope(text: string, format: string, what: string): Record<string, unknown> {
  if (text.length > MAX_TEXT_LENGTH) throw new ShareFormatError('format', `the input is too large to be ${what}`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ShareFormatError('format', `the input is not JSON, so not ${what}`);
  }
  const members = record(value);
  if (!members || members.format !== format) throw new ShareFormatError('format', `the input is not ${what} (format "${format}" expected)`);
  if (members.version !== SHARE_FORMAT_VERSION) throw new ShareFormatError('version', `only version ${SHARE_FORMAT_VERSION} of ${format} is understood`);
  return members;
}

/**
 * Which members failed, by schema name only: zod's messages may quote the offending value, and an unknown member's
 * name is input too (it could be anything, a share included).
 */
function paths(error: z.ZodError): string {
  const names = error.issues.map((issue) => (issue.code === 'unrecognized_keys' ? 'an unknown member' : issue.path.map(String).join('.') || 'object'));
  return [...new Set(names)].join(', ');
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}
