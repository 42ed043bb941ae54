import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import * as pkcs11js from 'pkcs11js';
import { capabilitiesForVendor } from '../capabilities/vendor-capabilities';
import { PoolConfig, readSecret } from '../pool-config';
import { ephemeralTemplate, recipientTemplate } from '../pkcs11/key-export';
import { toPkcs11Mechanism } from '../pkcs11/mechanisms';
import { ephemeralTemplate as unwrapOnlyTemplate } from '../pkcs11/wrapped-key-import';

/**
 * Raw PKCS#11 baseline of moving one exportable AES-256 key between two tokens of one module that enforces
 * CKA_WRAP_WITH_TRUSTED (for bench/transfer.ts): per key, the calls GrapheneHsmAdapter.exportKeys and
 * importWrappedKey make, with nothing else (no Nest, Postgres, ledger, session pool, checks) —
 * source: C_Logout, C_Login(SO), C_CreateObject(trusted recipient), C_GenerateKey(trusted E), C_WrapKey(OAEP),
 * C_DestroyObject, C_Logout, C_Login(USER), C_WrapKey(KWP, E, key), C_DestroyObject(E);
 * target: C_UnwrapKey(OAEP) to a session key, C_UnwrapKey(KWP) to a token object, C_DestroyObject ×2 (the new
 * object too, so the token does not grow); both: one AES-ECB block for the key check value.
 * The target's transport key is made once, as a migration run does. Synchronous, one session per token; run it
 * in a process without the adapter (it initialises and finalises the module itself).
 */
export interface RawTransferOptions {
  source: PoolConfig;
  target: PoolConfig;
  seconds: number;
}

export interface RawTransferResult {
  transfers: number;
  seconds: number;
  transfersPerSec: number;
  cpuPercent: number;
}

export function runRawTransferBaseline(o: RawTransferOptions): RawTransferResult {
  if (o.source.module !== o.target.module) throw new Error('the raw transfer baseline needs two tokens of one module');
  const soPin = o.source.soPin;
  if (!soPin) throw new Error(`pool ${o.source.name} has no soPin`);
  const caps = capabilitiesForVendor(o.source.vendor);
  Object.assign(process.env, o.source.environment);
  const lib = new pkcs11js.PKCS11();
  lib.load(o.source.module);
  lib.C_Initialize({ flags: pkcs11js.CKF_OS_LOCKING_OK });
  try {
    const open = (pool: PoolConfig): Buffer => {
      const slot = lib.C_GetSlotList(true).find((s) => lib.C_GetTokenInfo(s).label.trim() === pool.tokenLabel);
      if (!slot) throw new Error(`no token labelled ${pool.tokenLabel}`);
      const session = lib.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION);
      lib.C_Login(session, pkcs11js.CKU_USER, readSecret(pool.pin, 'PIN'));
      return session;
    };
    const src = open(o.source);
    const dst = open(o.target);
    const userPin = readSecret(o.source.pin, 'PIN');
    const so = readSecret(soPin, 'SO PIN');
    const aes = (extra: pkcs11js.Template): pkcs11js.Template => [
      { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_SECRET_KEY },
      { type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_AES },
      { type: pkcs11js.CKA_VALUE_LEN, value: 32 },
      ...extra,
    ];
    const keyId = randomBytes(16);
    lib.C_GenerateKey(src, { mechanism: pkcs11js.CKM_AES_KEY_GEN }, aes([
      { type: pkcs11js.CKA_TOKEN, value: true },
      { type: pkcs11js.CKA_ID, value: keyId },
      { type: pkcs11js.CKA_SENSITIVE, value: true },
      { type: pkcs11js.CKA_EXTRACTABLE, value: true },
      { type: pkcs11js.CKA_WRAP_WITH_TRUSTED, value: true },
      { type: pkcs11js.CKA_ENCRYPT, value: true },
    ]));
    const pair = lib.C_GenerateKeyPair(
      dst,
      { mechanism: pkcs11js.CKM_RSA_PKCS_KEY_PAIR_GEN },
      [
        { type: pkcs11js.CKA_TOKEN, value: false },
        { type: pkcs11js.CKA_MODULUS_BITS, value: 3072 },
        { type: pkcs11js.CKA_PUBLIC_EXPONENT, value: Buffer.from([1, 0, 1]) },
      ],
      [
        { type: pkcs11js.CKA_TOKEN, value: false },
        { type: pkcs11js.CKA_SENSITIVE, value: true },
        { type: pkcs11js.CKA_UNWRAP, value: true },
      ],
    );
    const [n, e] = lib.C_GetAttributeValue(dst, pair.publicKey, [{ type: pkcs11js.CKA_MODULUS }, { type: pkcs11js.CKA_PUBLIC_EXPONENT }]);
    const recipient = { kty: 'RSA' as const, n: n.value.toString('base64url'), e: e.value.toString('base64url') };
    const oaep = toPkcs11Mechanism({ name: 'RSA_OAEP', hash: 'SHA-1' }, caps);
    const kwp = { mechanism: caps.aesKeyWrapPadMechanism };
    // A logout invalidates private objects' handles: find the key again after each, as the adapter does.
    const find = (): Buffer => {
      lib.C_FindObjectsInit(src, [{ type: pkcs11js.CKA_ID, value: keyId }, { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_SECRET_KEY }]);
      const [found] = lib.C_FindObjects(src, 1);
      lib.C_FindObjectsFinal(src);
      return found;
    };
    const kcv = (session: Buffer, object: Buffer): Buffer => {
      lib.C_EncryptInit(session, { mechanism: pkcs11js.CKM_AES_ECB }, object);
      return lib.C_Encrypt(session, Buffer.alloc(16), Buffer.alloc(32));
    };
    const transfer = (): void => {
      lib.C_Logout(src);
      lib.C_Login(src, pkcs11js.CKU_SO, so);
      const rsa = lib.C_CreateObject(src, recipientTemplate(recipient, true));
      const eph = lib.C_GenerateKey(src, { mechanism: pkcs11js.CKM_AES_KEY_GEN }, ephemeralTemplate(true));
      const wrappedEph = lib.C_WrapKey(src, oaep, rsa, eph, Buffer.alloc(512));
      lib.C_DestroyObject(src, rsa);
      lib.C_Logout(src);
      lib.C_Login(src, pkcs11js.CKU_USER, userPin);
      const handle = find();
      const wrappedKey = lib.C_WrapKey(src, kwp, eph, handle, Buffer.alloc(256));
      lib.C_DestroyObject(src, eph);
      const session = lib.C_UnwrapKey(dst, oaep, pair.privateKey, wrappedEph, unwrapOnlyTemplate());
      const moved = lib.C_UnwrapKey(dst, kwp, session, wrappedKey, aes([
        { type: pkcs11js.CKA_TOKEN, value: true },
        { type: pkcs11js.CKA_SENSITIVE, value: true },
        { type: pkcs11js.CKA_EXTRACTABLE, value: true },
        { type: pkcs11js.CKA_WRAP_WITH_TRUSTED, value: true },
        { type: pkcs11js.CKA_ENCRYPT, value: true },
      ]).filter((a) => a.type !== pkcs11js.CKA_VALUE_LEN));
      lib.C_DestroyObject(dst, session);
      if (!kcv(src, handle).equals(kcv(dst, moved))) throw new Error('raw transfer: key check values differ');
      lib.C_DestroyObject(dst, moved);
    };
    const loop = (seconds: number): { count: number; elapsed: number } => {
      const t0 = performance.now();
      let count = 0;
      while (performance.now() - t0 < seconds * 1000) {
        transfer();
        count++;
      }
      return { count, elapsed: (performance.now() - t0) / 1000 };
    };
    loop(Math.min(1, o.seconds / 4));
    const cpu0 = process.cpuUsage();
    const { count, elapsed } = loop(o.seconds);
    const cpu = process.cpuUsage(cpu0);
    lib.C_DestroyObject(src, find());
    return {
      transfers: count,
      seconds: Math.round(elapsed * 1000) / 1000,
      transfersPerSec: Math.round((count / elapsed) * 10) / 10,
      cpuPercent: Math.round(((cpu.user + cpu.system) / 1e6 / elapsed) * 100),
    };
  } finally {
    lib.C_Finalize();
  }
}
