import { HsmError, HsmErrorCode } from '../hsm.errors';
import { NSS_CAPABILITIES } from '../capabilities/nss';
import { SOFTHSM2_CAPABILITIES } from '../capabilities/softhsm2';
import { toHsmError } from './hsm-error.mapper';

const ckrError = (name: string): Error => Object.assign(new Error(name), { name: 'Pkcs11Error' });

describe('toHsmError', () => {
  const soft = { pool: 'pool-a', operation: 'unwrapValue', capabilities: SOFTHSM2_CAPABILITIES };

  it.each([
    ['CKR_KEY_FUNCTION_NOT_PERMITTED', HsmErrorCode.HSM_OPERATION_NOT_PERMITTED],
    ['CKR_KEY_UNEXTRACTABLE', HsmErrorCode.HSM_OPERATION_NOT_PERMITTED],
    ['CKR_KEY_NOT_WRAPPABLE', HsmErrorCode.HSM_OPERATION_NOT_PERMITTED],
    ['CKR_KEY_TYPE_INCONSISTENT', HsmErrorCode.HSM_OPERATION_NOT_PERMITTED],
    ['CKR_WRAPPED_KEY_INVALID', HsmErrorCode.HSM_INVALID_INPUT],
    ['CKR_WRAPPED_KEY_LEN_RANGE', HsmErrorCode.HSM_INVALID_INPUT],
    ['CKR_ENCRYPTED_DATA_INVALID', HsmErrorCode.HSM_INVALID_INPUT],
    ['CKR_DATA_LEN_RANGE', HsmErrorCode.HSM_INVALID_INPUT],
    ['CKR_OBJECT_HANDLE_INVALID', HsmErrorCode.HSM_OBJECT_NOT_FOUND],
    ['CKR_MECHANISM_INVALID', HsmErrorCode.UNSUPPORTED_BY_HSM],
    ['CKR_DEVICE_MEMORY', HsmErrorCode.HSM_ERROR],
  ])('%s → %s, with the CKR name in details', (ckr, code) => {
    const mapped = toHsmError(ckrError(ckr), { ...soft, operation: 'sign' });
    expect(mapped).toBeInstanceOf(HsmError);
    expect(mapped.code).toBe(code);
    expect(mapped.details).toEqual({ pool: 'pool-a', ckr });
    expect(mapped.message).toContain('pool-a');
  });

  it("reads SoftHSM's CKR_GENERAL_ERROR as an integrity failure only where its capability data says so", () => {
    expect(toHsmError(ckrError('CKR_GENERAL_ERROR'), soft).code).toBe(HsmErrorCode.HSM_INVALID_INPUT);
    expect(toHsmError(ckrError('CKR_GENERAL_ERROR'), { ...soft, operation: 'decrypt' }).code).toBe(HsmErrorCode.HSM_INVALID_INPUT);
    expect(toHsmError(ckrError('CKR_GENERAL_ERROR'), { ...soft, operation: 'sign' }).code).toBe(HsmErrorCode.HSM_ERROR);
    expect(toHsmError(ckrError('CKR_GENERAL_ERROR'), { ...soft, capabilities: NSS_CAPABILITIES }).code).toBe(HsmErrorCode.HSM_ERROR);
  });

  it('keeps an HsmError and hides the text of anything that is not a PKCS#11 error', () => {
    const original = new HsmError(HsmErrorCode.POOL_NOT_FOUND, 'x');
    expect(toHsmError(original, soft)).toBe(original);
    const mapped = toHsmError(new TypeError('value 0011223344 is bad'), soft);
    expect(mapped.code).toBe(HsmErrorCode.HSM_ERROR);
    expect(mapped.message).not.toContain('0011223344');
    expect(mapped.details).toEqual({ pool: 'pool-a', ckr: 'none' });
  });
});
