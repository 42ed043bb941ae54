import * as pkcs11js from 'pkcs11js';
import { ckrName } from '../pkcs11/ckr';
import { PoolConfig, readSecret } from '../pool-config';

export interface ReadOutAttempt {
  /** 'read' or the CKR_ name with which the module refused C_GetAttributeValue(CKA_VALUE). */
  value: string;
  /** 'wrapped' or the CKR_ name with which the module refused C_WrapKey under the PIN holder's own AES key. */
  wrap: string;
  /** The key's bytes when the wrap worked and unwrapping as a non-sensitive object revealed them. */
  plaintext?: Buffer;
}

/**
 * What any PIN holder of a token could do to read out a secret key: read CKA_VALUE, or wrap the key under an AES
 * key of their own and unwrap the result as a readable object. Tests use it to prove that exportable keys are
 * protected by CKA_WRAP_WITH_TRUSTED (SoftHSM) and to document that they are not where the module ignores it.
 */
export function attemptReadOut(pool: PoolConfig, objectId: string): ReadOutAttempt {
  const lib = new pkcs11js.PKCS11();
  lib.load(pool.module);
  try {
    const options: pkcs11js.InitializationOptions = { flags: pkcs11js.CKF_OS_LOCKING_OK };
    if (pool.libraryParameters !== undefined) options.libraryParameters = pool.libraryParameters;
    lib.C_Initialize(options);
  } catch {
    // already initialised by the adapter in this process
  }
  const slot = lib.C_GetSlotList(true).find((s) => lib.C_GetTokenInfo(s).label.trim() === pool.tokenLabel);
  if (!slot) throw new Error(`token ${pool.tokenLabel} not found`);
  const session = lib.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION);
  const attempt = (fn: () => void, ok: string): string => {
    try {
      fn();
      return ok;
    } catch (error) {
      return ckrName(error) ?? String(error);
    }
  };
  try {
    attempt(() => lib.C_Login(session, pkcs11js.CKU_USER, readSecret(pool.pin, 'PIN')), 'in');
    lib.C_FindObjectsInit(session, [
      { type: pkcs11js.CKA_ID, value: Buffer.from(objectId, 'hex') },
      { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_SECRET_KEY },
    ]);
    const [key] = lib.C_FindObjects(session, 1);
    lib.C_FindObjectsFinal(session);
    if (!key) throw new Error(`no secret key ${objectId} in ${pool.name}`);
    const value = attempt(() => lib.C_GetAttributeValue(session, key, [{ type: pkcs11js.CKA_VALUE }]), 'read');
    const own = lib.C_GenerateKey(session, { mechanism: pkcs11js.CKM_AES_KEY_GEN }, [
      { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_SECRET_KEY },
      { type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_AES },
      { type: pkcs11js.CKA_VALUE_LEN, value: 32 },
      { type: pkcs11js.CKA_TOKEN, value: false },
      { type: pkcs11js.CKA_WRAP, value: true },
      { type: pkcs11js.CKA_UNWRAP, value: true },
    ]);
    let wrapped: Buffer | undefined;
    const wrap = attempt(() => (wrapped = lib.C_WrapKey(session, { mechanism: pkcs11js.CKM_AES_KEY_WRAP }, own, key, Buffer.alloc(256))), 'wrapped');
    let plaintext: Buffer | undefined;
    if (wrapped) {
      const readable = lib.C_UnwrapKey(session, { mechanism: pkcs11js.CKM_AES_KEY_WRAP }, own, wrapped, [
        { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_SECRET_KEY },
        { type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_GENERIC_SECRET },
        { type: pkcs11js.CKA_TOKEN, value: false },
        { type: pkcs11js.CKA_SENSITIVE, value: false },
        { type: pkcs11js.CKA_EXTRACTABLE, value: true },
      ]);
      plaintext = Buffer.from(lib.C_GetAttributeValue(session, readable, [{ type: pkcs11js.CKA_VALUE }])[0].value);
    }
    return { value, wrap, plaintext };
  } finally {
    lib.C_CloseSession(session);
  }
}
