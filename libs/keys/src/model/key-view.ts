import { EcCurve, PublicKeyJwk } from '@keybridge/hsm';
import { keyId, KeyOrigin, KeyRecord, KeyVersionRecord } from './key';
import { KeyOp } from './key-op';

/** A key as callers see it: metadata of one version plus its public JWK (never private fields). */
export interface KeyView {
  kid: string;
  vault: string;
  name: string;
  version: number;
  kty: KeyRecord['spec']['kty'];
  size: number | null;
  curve: EcCurve | null;
  keyOps: KeyOp[];
  tags: Record<string, string>;
  exportable: boolean;
  enabled: boolean;
  nbf: Date | null;
  exp: Date | null;
  origin: KeyOrigin;
  createdAt: Date;
  updatedAt: Date;
  latestVersion: number;
  minDecryptVersion: number;
  deletedAt: Date | null;
  scheduledPurgeAt: Date | null;
  jwk: (PublicKeyJwk | { kty: 'oct' }) & { kid: string; key_ops: KeyOp[] };
}

export function keyView(key: KeyRecord, version: KeyVersionRecord): KeyView {
  const kid = keyId(key.vaultName, key.name, version.version);
  const publicPart = version.publicJwk ?? { kty: 'oct' as const };
  return {
    kid,
    vault: key.vaultName,
    name: key.name,
    version: version.version,
    kty: key.spec.kty,
    size: key.spec.kty === 'EC' ? null : key.spec.bits,
    curve: key.spec.kty === 'EC' ? key.spec.curve : null,
    keyOps: key.keyOps,
    tags: key.tags,
    exportable: key.exportable,
    enabled: version.enabled,
    nbf: version.nbf,
    exp: version.exp,
    origin: version.origin,
    createdAt: version.createdAt,
    updatedAt: version.updatedAt > key.updatedAt ? version.updatedAt : key.updatedAt,
    latestVersion: key.latestVersion,
    minDecryptVersion: key.minDecryptVersion,
    deletedAt: key.deletedAt,
    scheduledPurgeAt: key.scheduledPurgeAt,
    jwk: { ...copyPublic(publicPart), kid, key_ops: key.keyOps },
  };
}

/** Copies only the public members, whatever else an object might carry. */
function copyPublic(jwk: PublicKeyJwk | { kty: 'oct' }): PublicKeyJwk | { kty: 'oct' } {
  switch (jwk.kty) {
    case 'RSA':
      return { kty: 'RSA', n: jwk.n, e: jwk.e };
    case 'EC':
      return { kty: 'EC', crv: jwk.crv, x: jwk.x, y: jwk.y };
    case 'oct':
      return { kty: 'oct' };
  }
}
