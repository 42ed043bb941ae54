import { DomainError } from '@keybridge/platform';

export enum EscrowErrorCode {
  /** No such record, or the caller holds no grant on its vault (the two look the same). */
  ESCROW_RECORD_NOT_FOUND = 'ESCROW_RECORD_NOT_FOUND',
  /** No such job, or the caller may not manage jobs on its vaults. */
  REWRAP_JOB_NOT_FOUND = 'REWRAP_JOB_NOT_FOUND',
  /** The job is completed or cancelled: nothing can be paused, resumed or cancelled any more. */
  REWRAP_JOB_FINISHED = 'REWRAP_JOB_FINISHED',
  /** The job is not in a state that allows the request (pause a paused job, resume a running one, …). */
  REWRAP_JOB_STATE_CONFLICT = 'REWRAP_JOB_STATE_CONFLICT',
  /** The target wrapping is one of the wrappings the selector moves from. */
  REWRAP_TARGET_IS_SOURCE = 'REWRAP_TARGET_IS_SOURCE',
  /** The record's lifetime (expiresAt) has ended: it is never released again, and its wrapped bytes are purged. */
  ESCROW_RECORD_EXPIRED = 'ESCROW_RECORD_EXPIRED',
  /** The key's type cannot wrap data keys (EC keys). */
  WRAPPING_KEY_TYPE_INVALID = 'WRAPPING_KEY_TYPE_INVALID',
}

export class EscrowError extends DomainError<EscrowErrorCode> {
  constructor(code: EscrowErrorCode, message: string, details: Record<string, string | number | boolean> = {}) {
    super(code, message, details);
  }
}
