import { createPublicKey } from 'node:crypto';
import { OaepHash, PublicKeyJwk } from '@keybridge/hsm';

export type TransportKeyStatus = 'active' | 'expired' | 'used' | 'revoked';

export interface TransportKeyRecord {
  id: string;
  vaultId: string;
  vaultName: string;
  pool: string;
  hsmObjectId: string;
  size: number;
  publicJwk: Extract<PublicKeyJwk, { kty: 'RSA' }>;
  oaepHashes: OaepHash[];
  maxUses: number;
  uses: number;
  createdBy: string;
  createdAt: Date;
  expiresAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
  destroyedAt: Date | null;
  attestationKeyId: string;
  attestationPayload: string;
  attestationSignature: Buffer;
}

export interface AttestationKeyRecord {
  id: string;
  vaultId: string;
  vaultName: string;
  pool: string;
  hsmObjectId: string;
  publicJwk: Extract<PublicKeyJwk, { kty: 'EC' }>;
  createdAt: Date;
}

const TRANSPORT_KID = /^\/vaults\/([a-z0-9][a-z0-9-]{0,62})\/transport-keys\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

export function transportKid(vault: string, id: string): string {
  return `/vaults/${vault}/transport-keys/${id}`;
}

export function attestationKid(vault: string, id: string): string {
  return `/vaults/${vault}/attestation-keys/${id}`;
}

export function parseTransportKid(kid: string): { vault: string; id: string } | undefined {
  const match = TRANSPORT_KID.exec(kid);
  return match ? { vault: match[1], id: match[2] } : undefined;
}

/** Revoked beats used beats expired: the most deliberate reason wins. */
export function transportKeyStatus(key: TransportKeyRecord, now: Date): TransportKeyStatus {
  if (key.revokedAt) return 'revoked';
  if (key.uses >= key.maxUses) return 'used';
  if (now >= key.expiresAt) return 'expired';
  return 'active';
}

export function spkiPem(jwk: PublicKeyJwk): string {
  return createPublicKey({ key: jwk, format: 'jwk' }).export({ format: 'pem', type: 'spki' }).toString();
}

export function spkiBase64Url(jwk: PublicKeyJwk): string {
  return createPublicKey({ key: jwk, format: 'jwk' }).export({ format: 'der', type: 'spki' }).toString('base64url');
}
