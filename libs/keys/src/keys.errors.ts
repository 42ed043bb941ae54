import { DomainError } from '@keybridge/platform';

export enum KeyErrorCode {
  VAULT_NOT_FOUND = 'VAULT_NOT_FOUND',
  VAULT_ALREADY_EXISTS = 'VAULT_ALREADY_EXISTS',
  KEY_NOT_FOUND = 'KEY_NOT_FOUND',
  KEY_VERSION_NOT_FOUND = 'KEY_VERSION_NOT_FOUND',
  KEY_ALREADY_EXISTS = 'KEY_ALREADY_EXISTS',
  KEY_NOT_DELETED = 'KEY_NOT_DELETED',
  KEY_DISABLED = 'KEY_DISABLED',
  KEY_NOT_YET_VALID = 'KEY_NOT_YET_VALID',
  KEY_EXPIRED = 'KEY_EXPIRED',
  /** The key's key_ops, or its version floor, forbid the operation. */
  OPERATION_NOT_ALLOWED = 'OPERATION_NOT_ALLOWED',
  INVALID_ARGUMENT = 'INVALID_ARGUMENT',
  UNSUPPORTED_ALGORITHM = 'UNSUPPORTED_ALGORITHM',
  /** A known algorithm that this key's type, size or curve cannot do. */
  ALGORITHM_NOT_VALID_FOR_KEY = 'ALGORITHM_NOT_VALID_FOR_KEY',
  /** Ciphertext or wrapped key failed integrity or length checks. */
  DECRYPTION_FAILED = 'DECRYPTION_FAILED',
}

export class KeyError extends DomainError<KeyErrorCode> {
  constructor(code: KeyErrorCode, message: string, details: Record<string, string | number | boolean> = {}) {
    super(code, message, details);
  }
}

export const invalidArgument = (message: string, field?: string): KeyError =>
  new KeyError(KeyErrorCode.INVALID_ARGUMENT, message, field ? { field } : {});
