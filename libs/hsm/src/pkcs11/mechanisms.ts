import * as pkcs11js from 'pkcs11js';
import { DigestName, HsmMechanism, OaepHash, PoolCapabilities } from '../hsm.port';

const HASH: Record<OaepHash | DigestName, { mechanism: number; mgf: number }> = {
  'SHA-1': { mechanism: pkcs11js.CKM_SHA_1, mgf: pkcs11js.CKG_MGF1_SHA1 },
  'SHA-256': { mechanism: pkcs11js.CKM_SHA256, mgf: pkcs11js.CKG_MGF1_SHA256 },
  'SHA-384': { mechanism: pkcs11js.CKM_SHA384, mgf: pkcs11js.CKG_MGF1_SHA384 },
  'SHA-512': { mechanism: pkcs11js.CKM_SHA512, mgf: pkcs11js.CKG_MGF1_SHA512 },
};

/** CKZ_DATA_SPECIFIED with no label: NSS refuses source 0. */
const OAEP_SOURCE_DATA_SPECIFIED = 1;

/**
 * The pkcs11js CK_MECHANISM for a port mechanism. Parameterless mechanisms (RSA_PKCS, ECDSA, RFC 3394/5649) get no
 * `parameter`, which pkcs11js 2.1.7 turns into pParameter NULL, ulParameterLen 0; SoftHSM answers
 * CKR_ARGUMENTS_BAD to any non-NULL parameter there, so an empty Buffer would not do. GCM uses CK_PARAMS_GCM
 * (CK_GCM_PARAMS with ulIvBits): pkcs11js's CK_PARAMS_AES_GCM leaves ulIvBits unset, and NSS rejects it.
 */
export function toPkcs11Mechanism(mechanism: HsmMechanism, caps: PoolCapabilities): pkcs11js.Mechanism {
  switch (mechanism.name) {
    case 'RSA_OAEP': {
      const hash = HASH[mechanism.hash];
      const parameter: pkcs11js.RsaOAEP = {
        type: pkcs11js.CK_PARAMS_RSA_OAEP,
        hashAlg: hash.mechanism,
        mgf: hash.mgf,
        source: OAEP_SOURCE_DATA_SPECIFIED,
      };
      return { mechanism: pkcs11js.CKM_RSA_PKCS_OAEP, parameter };
    }
    case 'RSA_PKCS1':
    case 'RSA_PKCS1_SIGN':
      return { mechanism: pkcs11js.CKM_RSA_PKCS };
    case 'RSA_PSS': {
      const hash = HASH[mechanism.hash];
      const parameter: pkcs11js.RsaPSS = {
        type: pkcs11js.CK_PARAMS_RSA_PSS,
        hashAlg: hash.mechanism,
        mgf: hash.mgf,
        saltLen: mechanism.saltLength,
      };
      return { mechanism: pkcs11js.CKM_RSA_PKCS_PSS, parameter };
    }
    case 'AES_KEY_WRAP':
      return { mechanism: pkcs11js.CKM_AES_KEY_WRAP };
    case 'AES_KEY_WRAP_PAD':
      return { mechanism: caps.aesKeyWrapPadMechanism };
    case 'AES_GCM': {
      const parameter: pkcs11js.GcmParams = {
        type: pkcs11js.CK_PARAMS_GCM,
        iv: mechanism.iv,
        ivBits: mechanism.iv.length * 8,
        aad: mechanism.aad,
        tagBits: 128,
      };
      return { mechanism: pkcs11js.CKM_AES_GCM, parameter };
    }
    case 'ECDSA':
      return { mechanism: pkcs11js.CKM_ECDSA };
  }
}
