import { OaepHash, PublicKeyJwk } from '@keybridge/hsm';
import { ATTESTATION_ALG, ATTESTATION_FORMAT } from '../formats/transport-key-attestation';
import { attestationKid, AttestationKeyRecord, spkiPem, transportKeyStatus, transportKid, TransportKeyRecord, TransportKeyStatus } from './transport-key';

export interface AttestationKeyView {
  kid: string;
  vault: string;
  pool: string;
  createdAt: Date;
  alg: string;
  publicKeyPem: string;
  jwk: PublicKeyJwk & { kid: string; key_ops: string[] };
}

export interface TransportKeyAttestationView {
  format: string;
  alg: string;
  /** The RFC 8785 canonical JSON that was signed, exactly. */
  payload: string;
  /** base64url ES256 (r || s) over the payload's UTF-8 bytes. */
  signature: string;
  attestationKid: string;
  attestationPublicKeyPem: string;
}

export interface TransportKeyView {
  kid: string;
  vault: string;
  pool: string;
  size: number;
  status: TransportKeyStatus;
  keyOps: string[];
  /** OAEP hashes the vault's pool can unwrap; a blob must use one of them. */
  oaepHashes: OaepHash[];
  maxUses: number;
  uses: number;
  createdAt: Date;
  expiresAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
  destroyedAt: Date | null;
  publicKeyPem: string;
  jwk: PublicKeyJwk & { kid: string; key_ops: string[] };
  attestation: TransportKeyAttestationView;
}

export function attestationKeyView(key: AttestationKeyRecord): AttestationKeyView {
  const kid = attestationKid(key.vaultName, key.id);
  return {
    kid,
    vault: key.vaultName,
    pool: key.pool,
    createdAt: key.createdAt,
    alg: ATTESTATION_ALG,
    publicKeyPem: spkiPem(key.publicJwk),
    jwk: { kty: 'EC', crv: key.publicJwk.crv, x: key.publicJwk.x, y: key.publicJwk.y, kid, key_ops: ['verify'] },
  };
}

export function transportKeyView(key: TransportKeyRecord, attestationKey: AttestationKeyRecord, now: Date): TransportKeyView {
  const kid = transportKid(key.vaultName, key.id);
  return {
    kid,
    vault: key.vaultName,
    pool: key.pool,
    size: key.size,
    status: transportKeyStatus(key, now),
    keyOps: ['import'],
    oaepHashes: key.oaepHashes,
    maxUses: key.maxUses,
    uses: key.uses,
    createdAt: key.createdAt,
    expiresAt: key.expiresAt,
    lastUsedAt: key.lastUsedAt,
    revokedAt: key.revokedAt,
    destroyedAt: key.destroyedAt,
    publicKeyPem: spkiPem(key.publicJwk),
    jwk: { kty: 'RSA', n: key.publicJwk.n, e: key.publicJwk.e, kid, key_ops: ['import'] },
    attestation: {
      format: ATTESTATION_FORMAT,
      alg: ATTESTATION_ALG,
      payload: key.attestationPayload,
      signature: key.attestationSignature.toString('base64url'),
      attestationKid: attestationKid(attestationKey.vaultName, attestationKey.id),
      attestationPublicKeyPem: spkiPem(attestationKey.publicJwk),
    },
  };
}
