import { PoolCapabilities } from '../hsm.port';

/**
 * What a PKCS#11 3.0 module is expected to do; nothing here was measured. Run CapabilityProbe against a new
 * vendor's module and give it its own file instead of relying on this.
 */
export const GENERIC_CAPABILITIES: PoolCapabilities = {
  vendor: 'generic',
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
  wrapWithTrustedEnforced: true,
  maxUnwrapValueBytes: 4096,
  integrityFailureCkrs: [],
  securityOfficer: true,
  ecUnwrapPublicValueAttribute: 0,
};
