import * as pkcs11js from 'pkcs11js';
import { curveByOid } from '../encoding/ec-curves';
import { KeyUsage } from '../hsm.port';
import { KeyKind, KeyShape } from '../mechanism-rules';

export interface KeyObject {
  handle: Buffer;
  usage: Partial<KeyUsage>;
}

export interface KeyObjects extends KeyShape {
  /** The private (RSA, EC) or secret (AES) object. */
  key?: KeyObject;
  public?: KeyObject;
}

const KEY_TYPES = new Map<number, KeyKind>([
  [pkcs11js.CKK_RSA, 'RSA'],
  [pkcs11js.CKK_EC, 'EC'],
  [pkcs11js.CKK_AES, 'oct'],
]);

const USAGE_ATTRIBUTES: Record<keyof KeyUsage, number> = {
  encrypt: pkcs11js.CKA_ENCRYPT,
  decrypt: pkcs11js.CKA_DECRYPT,
  wrap: pkcs11js.CKA_WRAP,
  unwrap: pkcs11js.CKA_UNWRAP,
  sign: pkcs11js.CKA_SIGN,
  verify: pkcs11js.CKA_VERIFY,
};

const USAGES_BY_CLASS = new Map<number, Array<keyof KeyUsage>>([
  [pkcs11js.CKO_PRIVATE_KEY, ['decrypt', 'unwrap', 'sign']],
  [pkcs11js.CKO_PUBLIC_KEY, ['encrypt', 'wrap', 'verify']],
  [pkcs11js.CKO_SECRET_KEY, ['encrypt', 'decrypt', 'wrap', 'unwrap']],
]);

/**
 * objectId (hex CKA_ID) → object handles, key type and usage flags. FindObjects and GetAttributeValue have no
 * asynchronous form in pkcs11js, so they run once per key and process, not once per operation. Handles of token
 * objects stay valid for the life of the C_Initialize, whatever session found them.
 */
export class ObjectHandleCache {
  private readonly entries = new Map<string, KeyObjects>();

  constructor(private readonly lib: pkcs11js.PKCS11) {}

  /** Cached objects of the key, or a fresh search on the given (idle, caller-owned) session. */
  resolve(session: Buffer, objectId: string): KeyObjects | undefined {
    const cached = this.entries.get(objectId);
    if (cached) return cached;
    const found = this.find(session, objectId);
    if (found) this.entries.set(objectId, found);
    return found;
  }

  /** Every object with the CKA_ID, bypassing the cache. */
  findHandles(session: Buffer, objectId: string): Buffer[] {
    const lib = this.lib;
    lib.C_FindObjectsInit(session, [{ type: pkcs11js.CKA_ID, value: Buffer.from(objectId, 'hex') }]);
    try {
      const handles: Buffer[] = [];
      for (let batch = lib.C_FindObjects(session, 16); batch.length > 0; batch = lib.C_FindObjects(session, 16)) handles.push(...batch);
      return handles;
    } finally {
      lib.C_FindObjectsFinal(session);
    }
  }

  invalidate(objectId: string): void {
    this.entries.delete(objectId);
  }

  /** After a logout every private object's handle is invalid (SoftHSM), so nothing cached can be trusted. */
  clear(): void {
    this.entries.clear();
  }

  private find(session: Buffer, objectId: string): KeyObjects | undefined {
    const lib = this.lib;
    let result: KeyObjects | undefined;
    for (const handle of this.findHandles(session, objectId)) {
      const [cls, type] = lib.C_GetAttributeValue(session, handle, [{ type: pkcs11js.CKA_CLASS }, { type: pkcs11js.CKA_KEY_TYPE }]);
      const objectClass = readUlong(cls.value);
      const kty = KEY_TYPES.get(readUlong(type.value));
      const usages = USAGES_BY_CLASS.get(objectClass);
      if (!kty || !usages) continue;
      result ??= { kty };
      const values = lib.C_GetAttributeValue(session, handle, usages.map((u) => ({ type: USAGE_ATTRIBUTES[u] })));
      const usage: Partial<KeyUsage> = {};
      usages.forEach((u, i) => (usage[u] = values[i].value[0] === 1));
      if (objectClass === pkcs11js.CKO_PUBLIC_KEY) result.public = { handle, usage };
      else result.key = { handle, usage };
      if (kty === 'RSA' && result.modulusBytes === undefined) {
        const [modulus] = lib.C_GetAttributeValue(session, handle, [{ type: pkcs11js.CKA_MODULUS }]);
        result.modulusBytes = modulus.value.length - (modulus.value[0] === 0 ? 1 : 0);
      }
      if (kty === 'EC' && result.curve === undefined) {
        const [params] = lib.C_GetAttributeValue(session, handle, [{ type: pkcs11js.CKA_EC_PARAMS }]);
        result.curve = curveByOid(params.value)?.curve;
      }
    }
    return result;
  }
}

/** CK_ULONG attribute values come back as native-endian bytes of the platform's unsigned long. */
export function readUlong(value: Buffer): number {
  if (value.length >= 8) return Number(value.readBigUInt64LE(0));
  return value.readUInt32LE(0);
}
