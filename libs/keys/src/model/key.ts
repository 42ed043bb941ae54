import { EcCurve, KeySpec, PublicKeyJwk } from '@keybridge/hsm';
import { KeyOp } from './key-op';

export type KeyOrigin = 'generated' | 'byok' | 'transfer' | 'restore';

export interface Vault {
  id: string;
  name: string;
  pool: string;
  createdAt: Date;
}

export interface KeyRecord {
  id: string;
  vaultId: string;
  vaultName: string;
  name: string;
  spec: KeySpec;
  keyOps: KeyOp[];
  tags: Record<string, string>;
  exportable: boolean;
  latestVersion: number;
  minDecryptVersion: number;
  createdAt: Date;
  updatedAt: Date;
  deletedAt: Date | null;
  scheduledPurgeAt: Date | null;
}

export interface KeyVersionRecord {
  keyId: string;
  version: number;
  pool: string;
  hsmObjectId: string;
  enabled: boolean;
  nbf: Date | null;
  exp: Date | null;
  origin: KeyOrigin;
  publicJwk: PublicKeyJwk | null;
  createdAt: Date;
  updatedAt: Date;
}

export function keyId(vault: string, name: string, version?: number): string {
  return version === undefined ? `/vaults/${vault}/keys/${name}` : `/vaults/${vault}/keys/${name}/${version}`;
}

export function specSize(spec: KeySpec): { size: number | null; curve: EcCurve | null } {
  return spec.kty === 'EC' ? { size: null, curve: spec.curve } : { size: spec.bits, curve: null };
}
