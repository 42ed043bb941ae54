import { PoolCapabilities } from '../hsm.port';

/**
 * NSS softokn 3.87, as measured by CapabilityProbe. Its 0x210A is RFC 3394 with PKCS#7 padding, not RFC 5649;
 * RFC 5649 is 0x210B (CKM_AES_KEY_WRAP_KWP of PKCS#11 3.0). RFC 3394 is the standard 0x2109.
 */
export const NSS_CAPABILITIES: PoolCapabilities = {
  vendor: 'nss',
  oaepHashes: ['SHA-1', 'SHA-256'],
  rsaAesKeyWrap: false,
  aesKeyWrapPadMechanism: 0x210b,
  aesKeyWrap: true,
  aesGcm: true,
  rsaPss: true,
  rsaPkcs1: true,
  curves: ['P-256', 'P-384', 'P-521'],
  rsaBits: [2048, 3072, 4096],
  aesBits: [128, 192, 256],
  aesKeyWrapPadUnaligned: true,
  wrapWithTrustedEnforced: false,
  maxUnwrapValueBytes: 256,
  // An RSA block numerically at or above the modulus (e.g. made for another key) is CKR_ARGUMENTS_BAD.
  integrityFailureCkrs: ['CKR_ARGUMENTS_BAD'],
  securityOfficer: false,
  ecUnwrapPublicValueAttribute: 0xd5a0db00,
};
