import { HsmError, HsmErrorCode } from './hsm.errors';
import { ExportKeysRequest, ExportPolicy, OaepHash, PoolCapabilities } from './hsm.port';

/**
 * What exportKeys checks before it touches the module, shared by the PKCS#11 adapter and the fake: the pool lets
 * keys leave at all, has its security officer where the policy needs one, can wrap with this OAEP hash and RFC 5649,
 * and the request names keys of this pool and an RSA recipient.
 */
export function checkExport(pool: string, caps: PoolCapabilities, policy: ExportPolicy, securityOfficerConfigured: boolean, request: ExportKeysRequest): void {
  checkExportPolicy(pool, policy, securityOfficerConfigured);
  if (!caps.oaepHashes.includes(request.oaepHash)) {
    throw new HsmError(HsmErrorCode.UNSUPPORTED_BY_HSM, `pool ${pool}: its HSM cannot wrap with RSA-OAEP ${request.oaepHash}`, { pool });
  }
  if (!caps.aesKeyWrapPadMechanism) {
    throw new HsmError(HsmErrorCode.UNSUPPORTED_BY_HSM, `pool ${pool}: its HSM cannot do AES key wrap with padding (RFC 5649)`, { pool });
  }
  if (request.recipient.kty !== 'RSA') throw new HsmError(HsmErrorCode.HSM_INVALID_INPUT, 'the recipient of an export is an RSA public key', { pool });
  if (request.keys.length === 0 || request.keys.some((k) => k.pool !== pool)) {
    throw new HsmError(HsmErrorCode.HSM_INVALID_INPUT, `pool ${pool}: an export names one or more keys of the pool itself`, { pool });
  }
}

/** Whether keys may leave the pool at all, and whether the security officer its policy needs is configured. */
export function checkExportPolicy(pool: string, policy: ExportPolicy, securityOfficerConfigured: boolean): void {
  if (policy === 'refused') {
    throw new HsmError(HsmErrorCode.EXPORT_REFUSED, `pool ${pool}: its HSM does not enforce CKA_WRAP_WITH_TRUSTED and the pool does not allow PIN-only export`, { pool });
  }
  if (policy === 'trusted' && !securityOfficerConfigured) {
    throw new HsmError(
      HsmErrorCode.SECURITY_OFFICER_REQUIRED,
      `pool ${pool}: exportable keys leave only under a key its security officer makes trusted, and the pool has no soPin configured`,
      { pool },
    );
  }
}

/** A secret used as an AES wrapping key (security domains' recovery secret). */
export function checkSecret(pool: string, secret: Buffer): void {
  if (![16, 24, 32].includes(secret.length)) throw new HsmError(HsmErrorCode.HSM_INVALID_INPUT, 'a wrapping secret is 16, 24 or 32 bytes', { pool });
}

/**
 * The OAEP hash for moving a key from one pool to another: SHA-256 where both modules do it, else SHA-1 (SoftHSM
 * 2.6.1 does nothing else); undefined when they share none.
 */
export function negotiateOaepHash(source: PoolCapabilities, target: PoolCapabilities): OaepHash | undefined {
  return (['SHA-256', 'SHA-1'] as OaepHash[]).find((hash) => source.oaepHashes.includes(hash) && target.oaepHashes.includes(hash));
}
