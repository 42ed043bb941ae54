import { createPublicKey, KeyObject, verify } from 'node:crypto';
import canonicalize from 'canonicalize';
import { z } from 'zod';

/**
 * The statement a vault's HSM-resident attestation key signs about each transport key it hands out.
 *
 * Signed bytes: the UTF-8 of the RFC 8785 canonical JSON of the claims below. Signature: ES256, i.e. ECDSA P-256
 * over SHA-256 of those bytes, as r || s (64 bytes), base64url. The attestation key is an EC P-256 key generated
 * per vault in the vault's pool on first use; its public key is published (attestationKey query) so customers can
 * pin it. A verifier checks the signature over `payload` exactly as received, then reads the claims from it (never
 * from unsigned fields next to it): the transport public key is `spki`.
 */
export const ATTESTATION_FORMAT = 'keybridge.byok.transport-key-attestation';
export const ATTESTATION_VERSION = 1;
export const ATTESTATION_ALG = 'ES256';

const rfc3339 = z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/);

export const attestationClaimsSchema = z
  .object({
    format: z.literal(ATTESTATION_FORMAT),
    version: z.literal(ATTESTATION_VERSION),
    /** /vaults/<vault>/transport-keys/<id> */
    kid: z.string().min(1).max(256),
    vault: z.string().min(1).max(64),
    pool: z.string().min(1).max(64),
    /** base64url DER SubjectPublicKeyInfo of the transport key (RSA). */
    spki: z.string().regex(/^[A-Za-z0-9_-]+$/),
    keyOps: z.tuple([z.literal('import')]),
    /** OAEP hashes the pool can unwrap: the blob's hash must be one of them. */
    oaepHashes: z.array(z.enum(['SHA-1', 'SHA-256'])).min(1),
    maxUses: z.number().int().min(1),
    issuedAt: rfc3339,
    expiresAt: rfc3339,
    /** /vaults/<vault>/attestation-keys/<id> */
    attestationKid: z.string().min(1).max(256),
  })
  .strict();

export type AttestationClaims = z.infer<typeof attestationClaimsSchema>;

export function canonicalClaims(claims: AttestationClaims): string {
  const text = canonicalize(claims);
  if (text === undefined) throw new Error('claims are not serialisable');
  return text;
}

export interface AttestationCheck {
  claims: AttestationClaims;
  transportKey: KeyObject;
}

/**
 * Verifies an attestation the way a customer should: signature over the payload bytes with the pinned attestation
 * key, claims well-formed, not expired at `now`. Throws an Error saying what is wrong.
 */
export function verifyAttestation(payload: string, signature: string, attestationKey: KeyObject, now: Date): AttestationCheck {
  const signatureBytes = Buffer.from(signature, 'base64url');
  if (signatureBytes.length !== 64) throw new Error('attestation signature is not a 64-byte ES256 signature');
  const valid = verify('sha256', Buffer.from(payload, 'utf8'), { key: attestationKey, dsaEncoding: 'ieee-p1363' }, signatureBytes);
  if (!valid) throw new Error('attestation signature does not verify with the attestation key');
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload);
  } catch {
    throw new Error('attestation payload is not JSON');
  }
  const result = attestationClaimsSchema.safeParse(parsed);
  if (!result.success) throw new Error(`attestation payload is not a ${ATTESTATION_FORMAT} v${ATTESTATION_VERSION} statement`);
  const claims = result.data;
  if (canonicalClaims(claims) !== payload) throw new Error('attestation payload is not in canonical (RFC 8785) form');
  if (Date.parse(claims.expiresAt) <= now.getTime()) throw new Error(`transport key ${claims.kid} expired at ${claims.expiresAt}`);
  const transportKey = createPublicKey({ key: Buffer.from(claims.spki, 'base64url'), format: 'der', type: 'spki' });
  if (transportKey.asymmetricKeyType !== 'rsa') throw new Error('attested transport key is not an RSA key');
  return { claims, transportKey };
}
