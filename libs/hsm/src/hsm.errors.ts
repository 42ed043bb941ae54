import { DomainError } from '@keybridge/platform';
import type { ImportFailure } from './hsm.port';

export enum HsmErrorCode {
  /** The pool's module cannot do this with a private or secret key (capability data says so). */
  UNSUPPORTED_BY_HSM = 'UNSUPPORTED_BY_HSM',
  /** No configured pool with that name. */
  POOL_NOT_FOUND = 'POOL_NOT_FOUND',
  /** No object with that CKA_ID in the pool. */
  HSM_OBJECT_NOT_FOUND = 'HSM_OBJECT_NOT_FOUND',
  /** The object's attributes forbid the operation (CKR_KEY_FUNCTION_NOT_PERMITTED, CKR_KEY_UNEXTRACTABLE …). */
  HSM_OPERATION_NOT_PERMITTED = 'HSM_OPERATION_NOT_PERMITTED',
  /** Ciphertext, wrapped key or signature input rejected by the module (integrity or length). */
  HSM_INVALID_INPUT = 'HSM_INVALID_INPUT',
  /** Exporting from this pool needs its security-officer credential, and none is configured. */
  SECURITY_OFFICER_REQUIRED = 'SECURITY_OFFICER_REQUIRED',
  /** The key (non-exportable) or the pool (export policy 'refused') does not allow the key to leave. */
  EXPORT_REFUSED = 'EXPORT_REFUSED',
  /** Anything else the module returned; the CKR_ name is in details, never data. */
  HSM_ERROR = 'HSM_ERROR',
}

export class HsmError extends DomainError<HsmErrorCode> {
  constructor(code: HsmErrorCode, message: string, details: Record<string, string | number | boolean> = {}) {
    super(code, message, details);
  }
}

/** importWrappedKey refused the blob; `failure` says which part (HSM_INVALID_INPUT for callers that only look at codes). */
export class HsmImportError extends HsmError {
  constructor(
    readonly failure: ImportFailure,
    message: string,
    details: Record<string, string | number | boolean> = {},
  ) {
    super(HsmErrorCode.HSM_INVALID_INPUT, message, { ...details, importFailure: failure });
  }
}
