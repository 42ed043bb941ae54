/**
 * The one interface the rest of Keybridge uses to reach an HSM. Implemented by the graphene/pkcs11js adapter
 * (the only code that imports graphene-pk11 or pkcs11js) and by in-memory fakes in small specs.
 *
 * Keys are addressed by {pool, objectId}: objectId is the hex CKA_ID shared by a key's private/secret object and,
 * for RSA/EC, its public object. Plaintext only leaves through the designed results of decrypt and unwrapValue.
 */
export const HSM_PORT = Symbol('HSM_PORT');

export type Vendor = 'softhsm2' | 'nss' | 'generic';
export type EcCurve = 'P-256' | 'P-384' | 'P-521' | 'secp256k1';
export type RsaBits = 2048 | 3072 | 4096;
export type AesBits = 128 | 192 | 256;
export type OaepHash = 'SHA-1' | 'SHA-256';
export type DigestName = 'SHA-256' | 'SHA-384' | 'SHA-512';

export type KeySpec =
  | { kty: 'RSA'; bits: RsaBits }
  | { kty: 'EC'; curve: EcCurve }
  | { kty: 'oct'; bits: AesBits };

/** PKCS#11 usage attributes set on the HSM objects (CKA_ENCRYPT, CKA_DECRYPT, …). */
export interface KeyUsage {
  encrypt: boolean;
  decrypt: boolean;
  wrap: boolean;
  unwrap: boolean;
  sign: boolean;
  verify: boolean;
}

export interface HsmKeyRef {
  pool: string;
  objectId: string;
}

export type PublicKeyJwk =
  | { kty: 'RSA'; n: string; e: string }
  | { kty: 'EC'; crv: EcCurve; x: string; y: string };

export interface GenerateKeyRequest {
  pool: string;
  /** hex CKA_ID; the caller makes it unique (e.g. random 16 bytes). */
  objectId: string;
  /** CKA_LABEL, for operators browsing the token; not secret, not an identifier. */
  label: string;
  spec: KeySpec;
  usage: KeyUsage;
  /** true: CKA_EXTRACTABLE and CKA_WRAP_WITH_TRUSTED; false: never extractable. Always CKA_SENSITIVE. */
  exportable: boolean;
}

export interface GeneratedKey {
  ref: HsmKeyRef;
  /** RSA and EC only. */
  publicJwk?: PublicKeyJwk;
}

export type HsmMechanism =
  | { name: 'RSA_OAEP'; hash: OaepHash }
  | { name: 'RSA_PKCS1' }
  /** RFC 3394 */
  | { name: 'AES_KEY_WRAP' }
  /** RFC 5649; the vendor's mechanism number comes from capabilities. */
  | { name: 'AES_KEY_WRAP_PAD' }
  /** Output of encrypt (and input of decrypt) is ciphertext || 16-byte tag. */
  | { name: 'AES_GCM'; iv: Buffer; aad: Buffer }
  /** CKM_RSA_PKCS over a DigestInfo the caller built. */
  | { name: 'RSA_PKCS1_SIGN' }
  | { name: 'RSA_PSS'; hash: DigestName; saltLength: number }
  /** CKM_ECDSA over a digest; signature is r || s. */
  | { name: 'ECDSA' };

export type MechanismName = HsmMechanism['name'];

export interface PoolCapabilities {
  vendor: Vendor;
  /** OAEP hashes the module accepts for private-key operations (decrypt, unwrap). */
  oaepHashes: OaepHash[];
  /** CKM_RSA_AES_KEY_WRAP available (one-call BYOK unwrap). */
  rsaAesKeyWrap: boolean;
  /** The module's number for RFC 5649 AES key wrap with padding (0x210A SoftHSM, 0x210B NSS). */
  aesKeyWrapPadMechanism: number;
  /** RFC 3394 (CKM_AES_KEY_WRAP) available. */
  aesKeyWrap: boolean;
  aesGcm: boolean;
  rsaPss: boolean;
  rsaPkcs1: boolean;
  curves: EcCurve[];
  rsaBits: RsaBits[];
  aesBits: AesBits[];
  /**
   * The RFC 5649 wrap is standard for values whose length is not a multiple of 8. SoftHSM 2.6.1 zero-pads such a
   * value to a multiple of 8 before wrapping, so its output differs from openssl's and unwraps to the padded value;
   * where false, wrapValue with AES_KEY_WRAP_PAD refuses unaligned values. Unwrapping standard blobs works either way.
   */
  aesKeyWrapPadUnaligned: boolean;
  /**
   * The module refuses to wrap a CKA_WRAP_WITH_TRUSTED key under a key that is not CKA_TRUSTED. Where false (NSS
   * softokn 3.87), an "exportable" key could be read out by any PIN holder, so the adapter refuses to create one.
   */
  wrapWithTrustedEnforced: boolean;
  /** Largest value unwrapValue can return (NSS softokn: 256-byte generic secrets). */
  maxUnwrapValueBytes: number;
  /**
   * CKR_ names the module returns for ciphertext or wrapped keys that fail their integrity check during decrypt or
   * unwrap, besides the standard ones (SoftHSM 2.6.1 says CKR_GENERAL_ERROR for bad GCM tags, KW/KWP and OAEP).
   */
  integrityFailureCkrs: string[];
}

export interface PoolInfo {
  name: string;
  tokenLabel: string;
  capabilities: PoolCapabilities;
}

export interface PoolHealth {
  pool: string;
  loggedIn: boolean;
  error?: string;
}

export interface HsmObjectAttributes {
  token: boolean;
  sensitive: boolean;
  extractable: boolean;
  wrapWithTrusted: boolean;
  neverExtractable: boolean;
  alwaysSensitive: boolean;
}

export interface HsmPort {
  pools(): PoolInfo[];
  /** Throws HsmError POOL_NOT_FOUND for an unknown pool. */
  capabilities(pool: string): PoolCapabilities;
  health(): Promise<PoolHealth[]>;

  generateKey(request: GenerateKeyRequest): Promise<GeneratedKey>;
  /** Destroys every object (private, secret, public) with that CKA_ID; idempotent. */
  destroyKey(ref: HsmKeyRef): Promise<void>;
  exists(ref: HsmKeyRef): Promise<boolean>;
  attributes(ref: HsmKeyRef): Promise<HsmObjectAttributes>;

  encrypt(ref: HsmKeyRef, mechanism: HsmMechanism, plaintext: Buffer): Promise<Buffer>;
  decrypt(ref: HsmKeyRef, mechanism: HsmMechanism, ciphertext: Buffer): Promise<Buffer>;
  /** Imports `value` as a session-only generic secret and wraps it under the key (C_WrapKey); destroys the session object. */
  wrapValue(ref: HsmKeyRef, mechanism: HsmMechanism, value: Buffer): Promise<Buffer>;
  /** Unwraps to a session-only generic secret, reads its value, destroys it (the designed plaintext result). */
  unwrapValue(ref: HsmKeyRef, mechanism: HsmMechanism, wrapped: Buffer): Promise<Buffer>;
  sign(ref: HsmKeyRef, mechanism: HsmMechanism, input: Buffer): Promise<Buffer>;
  verify(ref: HsmKeyRef, mechanism: HsmMechanism, input: Buffer, signature: Buffer): Promise<boolean>;

  /** Finalises modules; call once at shutdown. */
  close(): Promise<void>;
}
