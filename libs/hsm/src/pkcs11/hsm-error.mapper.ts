import { HsmError, HsmErrorCode } from '../hsm.errors';
import { PoolCapabilities } from '../hsm.port';
import { ckrName } from './ckr';

const NOT_PERMITTED = new Set([
  'CKR_KEY_FUNCTION_NOT_PERMITTED',
  'CKR_KEY_UNEXTRACTABLE',
  'CKR_KEY_NOT_WRAPPABLE',
  // NSS's answer to a key used without the usage attribute (our own checks catch real type mismatches first).
  'CKR_KEY_TYPE_INCONSISTENT',
]);

/** What a conforming module says when ciphertext, a wrapped key or a signature is bad. */
export const INPUT_REJECTION_CKRS: ReadonlySet<string> = new Set([
  'CKR_DATA_INVALID',
  'CKR_DATA_LEN_RANGE',
  'CKR_ENCRYPTED_DATA_INVALID',
  'CKR_ENCRYPTED_DATA_LEN_RANGE',
  'CKR_WRAPPED_KEY_INVALID',
  'CKR_WRAPPED_KEY_LEN_RANGE',
  'CKR_SIGNATURE_INVALID',
  'CKR_SIGNATURE_LEN_RANGE',
  'CKR_MECHANISM_PARAM_INVALID',
  'CKR_KEY_SIZE_RANGE',
]);

const NOT_FOUND = new Set(['CKR_OBJECT_HANDLE_INVALID', 'CKR_KEY_HANDLE_INVALID', 'CKR_WRAPPING_KEY_HANDLE_INVALID', 'CKR_UNWRAPPING_KEY_HANDLE_INVALID']);

export interface ErrorContext {
  pool: string;
  operation: string;
  capabilities: PoolCapabilities;
}

/** Maps anything a PKCS#11 call threw to an HsmError; messages and details carry names only, never data. */
export function toHsmError(error: unknown, context: ErrorContext): HsmError {
  if (error instanceof HsmError) return error;
  const { pool, operation } = context;
  const ckr = ckrName(error);
  if (ckr === undefined) {
    const kind = error instanceof Error ? error.name : typeof error;
    return new HsmError(HsmErrorCode.HSM_ERROR, `pool ${pool}: ${operation} failed (${kind})`, { pool, ckr: 'none' });
  }
  const details = { pool, ckr };
  if (NOT_PERMITTED.has(ckr)) {
    return new HsmError(HsmErrorCode.HSM_OPERATION_NOT_PERMITTED, `pool ${pool}: the key's attributes do not permit ${operation} (${ckr})`, details);
  }
  const integrity = (operation === 'decrypt' || operation === 'unwrapValue') && context.capabilities.integrityFailureCkrs.includes(ckr);
  if (INPUT_REJECTION_CKRS.has(ckr) || integrity) {
    return new HsmError(HsmErrorCode.HSM_INVALID_INPUT, `pool ${pool}: the HSM rejected the input of ${operation} (${ckr})`, details);
  }
  if (NOT_FOUND.has(ckr)) {
    return new HsmError(HsmErrorCode.HSM_OBJECT_NOT_FOUND, `pool ${pool}: key object vanished during ${operation} (${ckr})`, details);
  }
  if (ckr === 'CKR_MECHANISM_INVALID') {
    return new HsmError(HsmErrorCode.UNSUPPORTED_BY_HSM, `pool ${pool}: its HSM does not offer the mechanism for ${operation}`, details);
  }
  return new HsmError(HsmErrorCode.HSM_ERROR, `pool ${pool}: ${operation} failed (${ckr})`, details);
}

export function isHandleInvalid(error: unknown): boolean {
  const ckr = ckrName(error);
  return ckr !== undefined && NOT_FOUND.has(ckr);
}
