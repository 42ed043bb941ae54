import { createHash } from 'node:crypto';

/**
 * What the database keeps of each custodian's share: SHA-256 over the domain id, the custodian index and the share.
 * A share is 32 random bytes and an x coordinate, so the commitment reveals nothing, yet lets activation name a
 * tampered, mismatched or foreign share before anything is combined or touches an HSM.
 */
export function shareCommitment(domainId: string, index: number, share: Buffer): string {
  return createHash('sha256').update(`keybridge.share-commitment.v1\0${domainId}\0${index}\0`).update(share).digest('hex');
}
