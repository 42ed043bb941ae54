import { randomBytes } from 'node:crypto';
import { HsmPort, ImportTarget, KeyUsage } from '@keybridge/hsm';
import { TransferError, TransferErrorCode } from '../transfer.errors';

/** The domain key unwraps backups and nothing else; exportable so that its recovery blob can be made. */
const UNWRAP_ONLY: KeyUsage = { encrypt: false, decrypt: false, wrap: false, unwrap: true, sign: false, verify: false };

export function domainKeyTarget(domainName: string): ImportTarget {
  return {
    objectId: randomBytes(16).toString('hex'),
    label: `keybridge/security-domain/${domainName}`,
    spec: { kty: 'RSA', bits: 3072 },
    usage: UNWRAP_ONLY,
    exportable: true,
  };
}

/** POOL_NOT_FOUND for an unknown pool; TRANSFER_NOT_POSSIBLE where the pool cannot hold an exportable RSA-3072 key. */
export function assertCanHoldDomainKey(hsm: HsmPort, poolName: string): void {
  const pool = hsm.pools().find((p) => p.name === poolName);
  if (!pool) hsm.capabilities(poolName);
  if (pool?.exportPolicy === 'refused' || !pool?.capabilities.rsaBits.includes(3072)) {
    throw new TransferError(TransferErrorCode.TRANSFER_NOT_POSSIBLE, `pool ${poolName} cannot hold a security domain key (an exportable RSA-3072 key)`);
  }
}
