import { DigestName } from '@keybridge/hsm';

// DER DigestInfo prefixes (RFC 8017 §9.2 note 1): CKM_RSA_PKCS signs DigestInfo, so RS* prepend these to the digest.
const PREFIX: Record<DigestName, string> = {
  'SHA-256': '3031300d060960864801650304020105000420',
  'SHA-384': '3041300d060960864801650304020205000430',
  'SHA-512': '3051300d060960864801650304020305000440',
};

export function digestInfo(hash: DigestName, digest: Buffer): Buffer {
  return Buffer.concat([Buffer.from(PREFIX[hash], 'hex'), digest]);
}
