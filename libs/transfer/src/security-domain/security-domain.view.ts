import { PublicKeyJwk } from '@keybridge/hsm';
import { DomainPool, SecurityDomain } from './security-domain.repository';

export interface SecurityDomainView {
  id: string;
  name: string;
  quorum: number;
  custodianCount: number;
  publicJwk: PublicKeyJwk;
  pools: DomainPool[];
  vaults: string[];
  createdAt: Date;
}

export function securityDomainView(domain: SecurityDomain, pools: DomainPool[], vaults: string[]): SecurityDomainView {
  return {
    id: domain.id,
    name: domain.name,
    quorum: domain.quorum,
    custodianCount: domain.custodianCount,
    publicJwk: domain.publicJwk,
    pools,
    vaults,
    createdAt: domain.createdAt,
  };
}
