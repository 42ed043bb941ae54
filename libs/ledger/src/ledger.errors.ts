import { DomainError } from '@keybridge/platform';

export enum LedgerErrorCode {
  /** The entry could not be committed; the operation it describes must not return a result. */
  LEDGER_UNAVAILABLE = 'LEDGER_UNAVAILABLE',
  /** The caller lacks the global permission auditRead (recorded as a denial). */
  FORBIDDEN = 'FORBIDDEN',
  INVALID_ARGUMENT = 'INVALID_ARGUMENT',
  /** No signed checkpoint of that size (or none yet). */
  CHECKPOINT_NOT_FOUND = 'CHECKPOINT_NOT_FOUND',
  /** No ledger entry with that sequence number inside the requested tree. */
  LEDGER_ENTRY_NOT_FOUND = 'LEDGER_ENTRY_NOT_FOUND',
}

export class LedgerError extends DomainError<LedgerErrorCode> {
  constructor(code: LedgerErrorCode, message: string, details: Record<string, string | number | boolean> = {}) {
    super(code, message, details);
  }
}

export function invalidLedgerArgument(message: string, field: string): LedgerError {
  return new LedgerError(LedgerErrorCode.INVALID_ARGUMENT, message, { field });
}
