import { DomainError } from '@keybridge/platform';

export enum TransferErrorCode {
  /** The key was created non-exportable: it can never leave its HSM (transfer, backup, migration). */
  KEY_NOT_EXPORTABLE = 'KEY_NOT_EXPORTABLE',
  /** After the move the target's key check value or public key differed from the source's: nothing was kept. */
  TRANSFER_VERIFICATION_FAILED = 'TRANSFER_VERIFICATION_FAILED',
  /** The two pools share no way to move the key (OAEP hash, key type, or the target cannot hold exportable keys). */
  TRANSFER_NOT_POSSIBLE = 'TRANSFER_NOT_POSSIBLE',
  MIGRATION_JOB_NOT_FOUND = 'MIGRATION_JOB_NOT_FOUND',
  SECURITY_DOMAIN_NOT_FOUND = 'SECURITY_DOMAIN_NOT_FOUND',
  SECURITY_DOMAIN_ALREADY_EXISTS = 'SECURITY_DOMAIN_ALREADY_EXISTS',
  /** The vault's pool does not hold the domain key (activateSecurityDomain first). */
  SECURITY_DOMAIN_NOT_ACTIVE = 'SECURITY_DOMAIN_NOT_ACTIVE',
  SECURITY_DOMAIN_ALREADY_ACTIVE = 'SECURITY_DOMAIN_ALREADY_ACTIVE',
  /** Fewer than the quorum of distinct shares. */
  QUORUM_NOT_MET = 'QUORUM_NOT_MET',
  /** A share is malformed, of another domain, tampered, or the shares do not combine to the domain's secret. */
  INVALID_SHARE = 'INVALID_SHARE',
  /** A custodian public key is not an RSA key of 2048 bits or more (or is given twice). */
  INVALID_CUSTODIAN_KEY = 'INVALID_CUSTODIAN_KEY',
  /** Not a Keybridge backup blob, truncated, or any bit changed. */
  INVALID_BACKUP = 'INVALID_BACKUP',
  UNSUPPORTED_BACKUP_VERSION = 'UNSUPPORTED_BACKUP_VERSION',
  /** The backup was made in another security domain than the target vault's. */
  BACKUP_DOMAIN_MISMATCH = 'BACKUP_DOMAIN_MISMATCH',
  /** The vault belongs to no security domain, so it can neither back up nor restore. */
  VAULT_NOT_IN_SECURITY_DOMAIN = 'VAULT_NOT_IN_SECURITY_DOMAIN',
}

export class TransferError extends DomainError<TransferErrorCode> {
  constructor(code: TransferErrorCode, message: string, details: Record<string, string | number | boolean> = {}) {
    super(code, message, details);
  }
}
