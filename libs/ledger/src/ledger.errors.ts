import { DomainError } from '@keybridge/platform';

export enum LedgerErrorCode {
  /** The entry could not be committed; the operation it describes must not return a result. */
  LEDGER_UNAVAILABLE = 'LEDGER_UNAVAILABLE',
}

export class LedgerError extends DomainError<LedgerErrorCode> {
  constructor(code: LedgerErrorCode, message: string) {
    super(code, message);
  }
}
