import { PoolCapabilities } from '../hsm.port';

/** SoftHSM 2.6.1, as measured by CapabilityProbe (test/hsm/capabilities.e2e-spec.ts keeps this honest). */
export const SOFTHSM2_CAPABILITIES: PoolCapabilities = {
  vendor: 'softhsm2',
  oaepHashes: ['SHA-1'],
  rsaAesKeyWrap: false,
  aesKeyWrapPadMechanism: 0x210a,
  aesKeyWrap: true,
  aesGcm: true,
  rsaPss: true,
  rsaPkcs1: true,
  curves: ['P-256', 'P-384', 'P-521', 'secp256k1'],
  rsaBits: [2048, 3072, 4096],
  aesBits: [128, 192, 256],
  aesKeyWrapPadUnaligned: false,
  wrapWithTrustedEnforced: true,
  maxUnwrapValueBytes: 4096,
  integrityFailureCkrs: ['CKR_GENERAL_ERROR'],
  securityOfficer: true,
  ecUnwrapPublicValueAttribute: 0,
};
