import { KeySpec } from '@keybridge/hsm';

/** JWK key_ops (RFC 7517 §4.3) that Keybridge enforces. */
export enum KeyOp {
  encrypt = 'encrypt',
  decrypt = 'decrypt',
  sign = 'sign',
  verify = 'verify',
  wrapKey = 'wrapKey',
  unwrapKey = 'unwrapKey',
}

export const KEY_OPS_BY_KTY: Record<KeySpec['kty'], KeyOp[]> = {
  RSA: [KeyOp.encrypt, KeyOp.decrypt, KeyOp.sign, KeyOp.verify, KeyOp.wrapKey, KeyOp.unwrapKey],
  EC: [KeyOp.sign, KeyOp.verify],
  oct: [KeyOp.encrypt, KeyOp.decrypt, KeyOp.wrapKey, KeyOp.unwrapKey],
};
