import type { HsmError } from './hsm.errors';

/**
 * The one interface the rest of Keybridge uses to reach an HSM. Implemented by the graphene/pkcs11js adapter
 * (the only code that imports graphene-pk11 or pkcs11js) and by in-memory fakes in small specs.
 *
 * Keys are addressed by {pool, objectId}: objectId is the hex CKA_ID shared by a key's private/secret object and,
 * for RSA/EC, its public object. Plaintext only leaves through the designed results of decrypt, unwrapValue and
 * generateDataKey.
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

/** Where a BYOK import puts the key a blob carries, and what that key must be (importWrappedKey). */
export interface ImportTarget {
  /** hex CKA_ID; unique, as for generateKey. */
  objectId: string;
  label: string;
  /** What the importer declares; the unwrapped object must be exactly this, or it is destroyed again. */
  spec: KeySpec;
  usage: KeyUsage;
  exportable: boolean;
  /**
   * EC only: the public key the importer declares. Neither measured module exposes CKA_EC_POINT on a private key,
   * so the public half comes from here, proven by a test signature before anything is kept.
   */
  publicJwk?: PublicKeyJwk;
}

export interface ImportWrappedKeyRequest {
  pool: string;
  /** RSA private key with CKA_UNWRAP (a BYOK transport key). */
  transportKey: HsmKeyRef;
  /** OAEP hash of the blob's RSA part (MGF1 with the same hash, no label). */
  oaepHash: OaepHash;
  /** CKM_RSA_AES_KEY_WRAP layout: RSA-OAEP(ephemeral AES key) || RFC 5649 AES-KWP(target key material). */
  blob: Buffer;
  target: ImportTarget;
}

/**
 * Why importWrappedKey refused a blob (HsmImportError.failure): 'oaep' / 'kwp' the RSA or AES part failed its
 * integrity check (tampered, another transport key, another OAEP hash); 'keyMaterial' the plaintext is not a key of
 * the declared type the module accepts; 'keyMismatch' the key is another supported type, size or curve than
 * declared; 'unsupportedKey' a key Keybridge never accepts (RSA below 2048 bits, unknown curve); 'publicKeyRequired'
 * / 'publicKeyMismatch' the declared EC public key is missing or does not belong to the private key.
 */
export type ImportFailure = 'oaep' | 'kwp' | 'seal' | 'keyMaterial' | 'keyMismatch' | 'unsupportedKey' | 'publicKeyRequired' | 'publicKeyMismatch';

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
  /**
   * Vendor attribute an EC private-key unwrap template must carry (holding the public point) or the module refuses
   * the unwrap; 0 when none is needed. NSS softokn 3.87: CKA_NSS_DB (0xD5A0DB00), else CKR_TEMPLATE_INCOMPLETE.
   */
  ecUnwrapPublicValueAttribute: number;
  /**
   * The module has a security-officer role that alone can set CKA_TRUSTED (SoftHSM 2.6.1). NSS softokn 3.87 answers
   * CKU_SO with CKR_USER_TYPE_INVALID and lets any user create "trusted" keys, so it has none.
   */
  securityOfficer: boolean;
}

/**
 * How keys of a pool may leave it wrapped (transfer, backup). 'trusted': exportable keys carry
 * CKA_WRAP_WITH_TRUSTED and only a security-officer session can make the key that wraps them. 'pinOnly': the module
 * enforces no such rule and the operator allowed exportable keys anyway (pool option allowPinOnlyExport), so any
 * PIN holder could read them out. 'refused': exportable keys cannot be created in the pool.
 */
export type ExportPolicy = 'trusted' | 'pinOnly' | 'refused';

export interface ExportKeysRequest {
  pool: string;
  /** The private (RSA, EC) or secret (AES) objects to wrap; all in `pool`, all exportable. */
  keys: HsmKeyRef[];
  /** The receiving side's RSA public key (a transport key or a security domain key); its private half unwraps. */
  recipient: PublicKeyJwk;
  /** Must be one that both this pool and the recipient's pool can do (negotiated from capabilities). */
  oaepHash: OaepHash;
  /**
   * Optional: bytes to seal under E once the keys are wrapped (e.g. a digest of a backup's header and wrapped parts),
   * returned as ExportedKeys.sealed = RFC 5649(E, bytes); openSeal gives them back to a holder of the recipient key.
   */
  seal?: (parts: { wrappedEphemeral: Buffer; wrappedKeys: Buffer[] }) => Buffer;
}

export interface OpenSealRequest {
  pool: string;
  /** The recipient's private key (RSA, unwrap) in `pool`. */
  transportKey: HsmKeyRef;
  oaepHash: OaepHash;
  wrappedEphemeral: Buffer;
  sealed: Buffer;
}

export interface WrapKeysWithSecretRequest {
  pool: string;
  keys: HsmKeyRef[];
  /** 16, 24 or 32 bytes; imported as a session-only AES key (by the security officer where the policy is 'trusted'). */
  secret: Buffer;
}

export interface ImportKeyWithSecretRequest {
  pool: string;
  secret: Buffer;
  /** RFC 5649 wrap of the key under `secret` (wrapKeysWithSecret). */
  wrapped: Buffer;
  target: ImportTarget;
}

/**
 * One ephemeral AES-256 key E made inside the source HSM: `wrappedEphemeral` = RSA-OAEP(recipient, E), and for each
 * requested key RFC 5649 AES-KWP(E, key). `wrappedEphemeral || wrappedKeys[i]` is a CKM_RSA_AES_KEY_WRAP blob that
 * importWrappedKey accepts with the recipient's private key as transport key.
 */
export interface ExportedKeys {
  wrappedEphemeral: Buffer;
  wrappedKeys: Buffer[];
  /** RFC 5649(E, request.seal(...)) when the request asked for a seal. */
  sealed?: Buffer;
  /** Whether a security-officer session made E (policy 'trusted'); the caller records that use in the ledger. */
  securityOfficerUsed: boolean;
}

export interface PoolInfo {
  name: string;
  tokenLabel: string;
  capabilities: PoolCapabilities;
  exportPolicy: ExportPolicy;
  /** A security-officer PIN source is configured (needed to export under policy 'trusted'). */
  securityOfficerConfigured: boolean;
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

/** A data-encryption key made inside the HSM: its value (the designed, once-only plaintext result) and its wrapped copy. */
export interface GeneratedDataKey {
  value: Buffer;
  wrapped: Buffer;
}

/** One item of rewrapBatch: the new wrapped bytes, or why this item failed (the others are unaffected). */
export type RewrapItemResult = { ok: true; wrapped: Buffer } | { ok: false; error: HsmError };

export interface RewrapBatchOptions {
  /**
   * When both mechanisms are AES key wraps and both keys are in one pool, run the calls synchronously on one
   * session: cheap AES calls are faster without the libuv hop, but the event loop is blocked for the whole batch.
   * For processes without latency-sensitive callers (the worker). Default false.
   */
  allowBlocking?: boolean;
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
  /**
   * BYOK import inside the HSM: C_UnwrapKey(RSA-OAEP, transport key) to a session-only AES key that may only unwrap,
   * C_UnwrapKey(AES-KWP) to a token object (CKA_SENSITIVE; CKA_EXTRACTABLE only when exportable), session key
   * destroyed on every path. The object's type, size or curve is read back and must equal target.spec; RSA and EC get
   * a public object (C_CreateObject) like generated keys. Failures of the blob are HsmImportError; nothing stays.
   */
  importWrappedKey(request: ImportWrappedKeyRequest): Promise<GeneratedKey>;
  /**
   * Wraps exportable keys for another HSM without their plaintext entering the process (see ExportedKeys). Under
   * policy 'trusted' it briefly takes the whole pool: logs the user out, logs the security officer in to make a
   * trusted, session-only E and the trusted recipient object, logs the SO out and the user back in, then wraps the
   * keys with E; E is destroyed on every path. Throws HsmError SECURITY_OFFICER_REQUIRED without an SO PIN source,
   * and EXPORT_REFUSED for non-exportable keys or policy 'refused'.
   */
  exportKeys(request: ExportKeysRequest): Promise<ExportedKeys>;
  /**
   * Key check value of an AES key: AES-ECB of one zero block, computed in the HSM (the first 3 bytes are the
   * traditional KCV). Equal values in two pools prove the same key without revealing it.
   */
  keyCheckValue(ref: HsmKeyRef): Promise<Buffer>;
  /** The bytes an exportKeys seal covered; HsmImportError 'oaep' (not for this key) or 'seal' (tampered). */
  openSeal(request: OpenSealRequest): Promise<Buffer>;
  /**
   * RFC 5649 wraps of exportable keys under a secret the caller holds (a security domain's recovery secret), with
   * the same export discipline as exportKeys; the secret's session object is destroyed on every path.
   */
  wrapKeysWithSecret(request: WrapKeysWithSecretRequest): Promise<Buffer[]>;
  /** importWrappedKey's second step with the secret as the unwrapping key (HsmImportError 'kwp': wrong secret). */
  importKeyWithSecret(request: ImportKeyWithSecretRequest): Promise<GeneratedKey>;
  /** Public part of an RSA or EC key, read from its HSM objects; undefined for secret keys. */
  publicKeyOf(ref: HsmKeyRef): Promise<PublicKeyJwk | undefined>;

  encrypt(ref: HsmKeyRef, mechanism: HsmMechanism, plaintext: Buffer): Promise<Buffer>;
  decrypt(ref: HsmKeyRef, mechanism: HsmMechanism, ciphertext: Buffer): Promise<Buffer>;
  /** Imports `value` as a session-only generic secret and wraps it under the key (C_WrapKey); destroys the session object. */
  wrapValue(ref: HsmKeyRef, mechanism: HsmMechanism, value: Buffer): Promise<Buffer>;
  /** Unwraps to a session-only generic secret, reads its value, destroys it (the designed plaintext result). */
  unwrapValue(ref: HsmKeyRef, mechanism: HsmMechanism, wrapped: Buffer): Promise<Buffer>;
  sign(ref: HsmKeyRef, mechanism: HsmMechanism, input: Buffer): Promise<Buffer>;
  verify(ref: HsmKeyRef, mechanism: HsmMechanism, input: Buffer, signature: Buffer): Promise<boolean>;

  /**
   * Generates a `bytes`-long secret as a session object (extractable, not sensitive), wraps it under the key
   * (C_WrapKey), reads its value and destroys it. For escrowed data keys (GenerateDataKey).
   */
  generateDataKey(ref: HsmKeyRef, mechanism: HsmMechanism, bytes: number): Promise<GeneratedDataKey>;
  /**
   * Moves a wrapped value from one key to another without it entering the process: C_UnwrapKey to a session-only,
   * sensitive, extractable generic secret, C_WrapKey under `to`, destroy (in finally). Both keys in one pool.
   */
  rewrap(from: HsmKeyRef, fromMechanism: HsmMechanism, wrapped: Buffer, to: HsmKeyRef, toMechanism: HsmMechanism): Promise<Buffer>;
  /** rewrap for many values on one session; per-item failures are returned, not thrown. Both keys in one pool. */
  rewrapBatch(
    from: HsmKeyRef,
    fromMechanism: HsmMechanism,
    wrapped: Buffer[],
    to: HsmKeyRef,
    toMechanism: HsmMechanism,
    options?: RewrapBatchOptions,
  ): Promise<RewrapItemResult[]>;

  /** Finalises modules; call once at shutdown. */
  close(): Promise<void>;
}
