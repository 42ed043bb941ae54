import { randomBytes } from 'node:crypto';
import { ImportTarget, KeyUsage } from '@keybridge/hsm';

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
