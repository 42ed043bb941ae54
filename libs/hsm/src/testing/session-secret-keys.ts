import * as pkcs11js from 'pkcs11js';
import { PoolConfig } from '../pool-config';

/**
 * Counts the session-only secret keys visible on a pool's token from a session of its own (SoftHSM shows every
 * session object of the process to every session). Tests use it to prove ephemeral keys were destroyed.
 */
export function countSessionSecretKeys(pool: PoolConfig): number {
  const lib = new pkcs11js.PKCS11();
  lib.load(pool.module);
  try {
    lib.C_Initialize({ flags: pkcs11js.CKF_OS_LOCKING_OK });
  } catch {
    // already initialised by the adapter in this process
  }
  const slot = lib.C_GetSlotList(true).find((s) => lib.C_GetTokenInfo(s).label.trim() === pool.tokenLabel);
  if (!slot) throw new Error(`token ${pool.tokenLabel} not found`);
  const session = lib.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION);
  try {
    lib.C_FindObjectsInit(session, [
      { type: pkcs11js.CKA_TOKEN, value: false },
      { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_SECRET_KEY },
    ]);
    const found = lib.C_FindObjects(session, 100);
    lib.C_FindObjectsFinal(session);
    return found.length;
  } finally {
    lib.C_CloseSession(session);
  }
}
