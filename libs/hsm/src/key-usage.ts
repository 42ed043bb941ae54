import { KeySpec, KeyUsage } from './hsm.port';

/**
 * Every PKCS#11 usage a key type allows, set on the HSM objects of generated, imported, transferred and restored
 * keys alike; what a caller may actually do is the key's key_ops (which can change), enforced by the gateway.
 */
export const FULL_USAGE: Readonly<Record<KeySpec['kty'], KeyUsage>> = {
  RSA: { encrypt: true, decrypt: true, wrap: true, unwrap: true, sign: true, verify: true },
  EC: { encrypt: false, decrypt: false, wrap: false, unwrap: false, sign: true, verify: true },
  oct: { encrypt: true, decrypt: true, wrap: true, unwrap: true, sign: false, verify: false },
};
