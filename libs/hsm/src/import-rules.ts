import { HsmError, HsmErrorCode, HsmImportError } from './hsm.errors';
import { ExportPolicy, ImportWrappedKeyRequest, KeySpec, PoolCapabilities } from './hsm.port';
import { checkKeySpec } from './mechanism-rules';

/** RSA moduli Keybridge accepts in an imported key (and as a transport key). */
export const IMPORT_RSA_BITS: readonly number[] = [2048, 3072, 4096];
/** An RFC 5649 wrap of n bytes is 8 + n rounded up to a multiple of 8; the smallest is 16. */
export const MIN_KWP_BYTES = 16;

export function describeSpec(spec: KeySpec): string {
  return spec.kty === 'EC' ? `EC ${spec.curve}` : spec.kty === 'RSA' ? `RSA ${spec.bits}` : `AES ${spec.bits}`;
}

/**
 * What importWrappedKey checks before it touches the module, shared by the PKCS#11 adapter and the fake so both
 * refuse the same requests the same way: the pool can unwrap this OAEP hash and RFC 5649, can hold the declared key,
 * and the blob has the CKM_RSA_AES_KEY_WRAP shape for this transport key (`modulusBytes`).
 */
export function checkImport(pool: string, caps: PoolCapabilities, exportPolicy: ExportPolicy, request: ImportWrappedKeyRequest, modulusBytes: number): void {
  const { target, blob } = request;
  if (request.transportKey.pool !== pool) {
    throw new HsmError(HsmErrorCode.HSM_INVALID_INPUT, `pool ${pool}: the transport key must be in the pool the key is imported into`, { pool });
  }
  if (!caps.oaepHashes.includes(request.oaepHash)) {
    throw new HsmError(HsmErrorCode.UNSUPPORTED_BY_HSM, `pool ${pool}: its HSM cannot unwrap RSA-OAEP with ${request.oaepHash}`, { pool });
  }
  if (!caps.aesKeyWrapPadMechanism) {
    throw new HsmError(HsmErrorCode.UNSUPPORTED_BY_HSM, `pool ${pool}: its HSM cannot do AES key wrap with padding (RFC 5649)`, { pool });
  }
  checkKeySpec(pool, caps, { pool, ...target }, exportPolicy);
  if (target.spec.kty === 'EC' && target.publicJwk && (target.publicJwk.kty !== 'EC' || target.publicJwk.crv !== target.spec.curve)) {
    throw new HsmImportError('publicKeyMismatch', `the declared public key is not an ${describeSpec(target.spec)} key`, { pool });
  }
  const kwpBytes = blob.length - modulusBytes;
  if (kwpBytes < MIN_KWP_BYTES || kwpBytes % 8 !== 0) {
    throw new HsmError(
      HsmErrorCode.HSM_INVALID_INPUT,
      `a blob for this transport key is its ${modulusBytes}-byte RSA-OAEP part followed by an RFC 5649 part of 16 or more bytes in multiples of 8`,
      { pool },
    );
  }
  // RFC 5649 pads to a multiple of 8, so an AES key's wrap has exactly its own length plus 8; every other length is
  // another key (the module may accept odd lengths as AES keys: SoftHSM 2.6.1 does).
  if (target.spec.kty === 'oct' && kwpBytes - 8 !== target.spec.bits / 8) {
    throw new HsmImportError('keyMismatch', `the blob does not hold an ${describeSpec(target.spec)} key (its key part is ${kwpBytes} bytes)`, { pool });
  }
}

