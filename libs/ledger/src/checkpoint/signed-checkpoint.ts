import { createHash, createPublicKey, KeyObject, verify } from 'node:crypto';
import canonicalize from 'canonicalize';

/** Name and version of the signed statement and of the checkpoint file `ledger verify` reads. */
export const CHECKPOINT_FORMAT = 'keybridge.ledger.checkpoint.v1';
export const CHECKPOINT_ALGORITHM = 'ES256';

/** One signed tree head, as stored. */
export interface Checkpoint {
  treeSize: number;
  rootHash: Buffer;
  signedAt: Date;
  keyId: string;
  /** ECDSA P-256 over SHA-256 of the signing input, r || s (64 bytes). */
  signature: Buffer;
}

/** The checkpoint file: JSON, hashes hex, signature base64url. */
export interface CheckpointDocument {
  format: typeof CHECKPOINT_FORMAT;
  treeSize: number;
  rootHash: string;
  signedAt: string;
  keyId: string;
  algorithm: typeof CHECKPOINT_ALGORITHM;
  signature: string;
}

export interface SigningKeyPublic {
  keyId: string;
  algorithm: typeof CHECKPOINT_ALGORITHM;
  jwk: { kty: 'EC'; crv: 'P-256'; x: string; y: string };
  pem: string;
}

/**
 * What is signed: the UTF-8 bytes of the RFC 8785 canonical JSON
 * {"format":"keybridge.ledger.checkpoint.v1","keyId":…,"rootHash":"<hex>","signedAt":"<ISO-8601 ms>","treeSize":n}.
 */
export function checkpointSigningInput(cp: Pick<Checkpoint, 'treeSize' | 'rootHash' | 'signedAt' | 'keyId'>): Buffer {
  const text = canonicalize({
    format: CHECKPOINT_FORMAT,
    keyId: cp.keyId,
    rootHash: cp.rootHash.toString('hex'),
    signedAt: cp.signedAt.toISOString(),
    treeSize: cp.treeSize,
  });
  return Buffer.from(text ?? '', 'utf8');
}

export function checkpointDigest(cp: Pick<Checkpoint, 'treeSize' | 'rootHash' | 'signedAt' | 'keyId'>): Buffer {
  return createHash('sha256').update(checkpointSigningInput(cp)).digest();
}

export function checkpointDocument(cp: Checkpoint): CheckpointDocument {
  return {
    format: CHECKPOINT_FORMAT,
    treeSize: cp.treeSize,
    rootHash: cp.rootHash.toString('hex'),
    signedAt: cp.signedAt.toISOString(),
    keyId: cp.keyId,
    algorithm: CHECKPOINT_ALGORITHM,
    signature: cp.signature.toString('base64url'),
  };
}

const HEX32 = /^[0-9a-f]{64}$/;

/** Parses a checkpoint file; throws with a one-line reason. */
export function parseCheckpointDocument(text: string): Checkpoint {
  let doc: Partial<CheckpointDocument>;
  try {
    doc = JSON.parse(text) as Partial<CheckpointDocument>;
  } catch {
    throw new Error('the checkpoint file is not JSON');
  }
  if (doc.format !== CHECKPOINT_FORMAT) throw new Error(`the checkpoint file is not ${CHECKPOINT_FORMAT}`);
  if (doc.algorithm !== CHECKPOINT_ALGORITHM) throw new Error(`unsupported checkpoint algorithm ${String(doc.algorithm)}`);
  if (!Number.isSafeInteger(doc.treeSize) || (doc.treeSize ?? 0) < 1) throw new Error('checkpoint treeSize must be a positive integer');
  if (typeof doc.rootHash !== 'string' || !HEX32.test(doc.rootHash)) throw new Error('checkpoint rootHash must be 64 hex digits');
  if (typeof doc.signedAt !== 'string' || Number.isNaN(Date.parse(doc.signedAt))) throw new Error('checkpoint signedAt must be an ISO-8601 time');
  if (typeof doc.keyId !== 'string' || doc.keyId.length === 0) throw new Error('checkpoint keyId is missing');
  if (typeof doc.signature !== 'string' || !/^[A-Za-z0-9_-]+$/.test(doc.signature)) throw new Error('checkpoint signature must be base64url');
  return {
    treeSize: doc.treeSize as number,
    rootHash: Buffer.from(doc.rootHash, 'hex'),
    signedAt: new Date(doc.signedAt),
    keyId: doc.keyId,
    signature: Buffer.from(doc.signature, 'base64url'),
  };
}

export function verifyCheckpointSignature(cp: Checkpoint, publicKey: KeyObject): boolean {
  if (cp.signature.length !== 64) return false;
  return verify('sha256', checkpointSigningInput(cp), { key: publicKey, dsaEncoding: 'ieee-p1363' }, cp.signature);
}

/** A public key file: PEM (SPKI) or a JWK as JSON. */
export function parsePublicKey(text: string): KeyObject {
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    const jwk = JSON.parse(trimmed) as Record<string, string>;
    return createPublicKey({ key: { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y }, format: 'jwk' });
  }
  return createPublicKey(trimmed);
}

/** RFC 7638 JWK thumbprint (SHA-256, base64url) of an EC public key: the ledger signing key's id. */
export function jwkThumbprint(jwk: { crv: string; kty: string; x: string; y: string }): string {
  const members = `{"crv":${JSON.stringify(jwk.crv)},"kty":${JSON.stringify(jwk.kty)},"x":${JSON.stringify(jwk.x)},"y":${JSON.stringify(jwk.y)}}`;
  return createHash('sha256').update(members, 'utf8').digest('base64url');
}

export function publicPem(jwk: { crv: string; kty: string; x: string; y: string }): string {
  return createPublicKey({ key: { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y }, format: 'jwk' }).export({ type: 'spki', format: 'pem' }).toString();
}
