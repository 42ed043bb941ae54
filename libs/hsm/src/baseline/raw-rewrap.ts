import { performance } from 'node:perf_hooks';
import * as pkcs11js from 'pkcs11js';
import { capabilitiesForVendor } from '../capabilities/vendor-capabilities';
import { PoolConfig, readSecret } from '../pool-config';
import { rewrapSecretTemplate } from '../pkcs11/key-templates';
import { toPkcs11Mechanism } from '../pkcs11/mechanisms';

/**
 * Raw PKCS#11 baseline of a re-wrap (for bench/rewrap.ts): the same calls GrapheneHsmAdapter.rewrapBatch makes per
 * record on its blocking path — C_UnwrapKey(KWP, from) to a session-only sensitive generic secret, C_WrapKey(KWP,
 * to), C_DestroyObject — synchronously in a loop on one session, with nothing else (no Nest, Postgres, ledger).
 * Opens and finalises its own module instance, so run it in a process without the adapter (a child process).
 */
export interface RawRewrapOptions {
  pool: PoolConfig;
  /** hex CKA_IDs of two AES token keys (CKA_UNWRAP on `from`, CKA_WRAP on `to`). */
  fromObjectId: string;
  toObjectId: string;
  /** RFC 5649 blobs under `from`. */
  samples: Buffer[];
  seconds: number;
  warmupSeconds: number;
}

export interface RawRewrapResult {
  pairs: number;
  errors: number;
  firstError?: string;
  seconds: number;
  pairsPerSec: number;
  /** CPU of this process during the window, % of one core. */
  cpuPercent: number;
}

export function runRawRewrapBaseline(o: RawRewrapOptions): RawRewrapResult {
  if (o.samples.length === 0) throw new Error('samples is empty');
  const caps = capabilitiesForVendor(o.pool.vendor);
  Object.assign(process.env, o.pool.environment);
  const lib = new pkcs11js.PKCS11();
  lib.load(o.pool.module);
  const init: pkcs11js.InitializationOptions = { flags: pkcs11js.CKF_OS_LOCKING_OK };
  if (o.pool.libraryParameters !== undefined) init.libraryParameters = o.pool.libraryParameters;
  lib.C_Initialize(init);
  try {
    const slot = lib.C_GetSlotList(true).find((s) => lib.C_GetTokenInfo(s).label.trim() === o.pool.tokenLabel);
    if (!slot) throw new Error(`no token labelled ${o.pool.tokenLabel}`);
    const session = lib.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION);
    try {
      lib.C_Login(session, pkcs11js.CKU_USER, readSecret(o.pool.pin, `pool ${o.pool.name} PIN`));
    } catch (error) {
      if (!String(error).includes('CKR_USER_ALREADY_LOGGED_IN')) throw error;
    }
    const from = findSecret(lib, session, o.fromObjectId);
    const to = findSecret(lib, session, o.toObjectId);
    const kwp = toPkcs11Mechanism({ name: 'AES_KEY_WRAP_PAD' }, caps);
    const template = rewrapSecretTemplate();
    let i = 0;
    let errors = 0;
    let firstError: string | undefined;
    const pair = (): void => {
      const sample = o.samples[i++ % o.samples.length];
      try {
        const secret = lib.C_UnwrapKey(session, kwp, from, sample, template);
        try {
          lib.C_WrapKey(session, kwp, to, secret, Buffer.alloc(sample.length + 196));
        } finally {
          lib.C_DestroyObject(session, secret);
        }
      } catch (error) {
        errors++;
        firstError ??= String(error).slice(0, 300);
      }
    };
    const loop = (seconds: number): { n: number; elapsed: number } => {
      const t0 = performance.now();
      const end = t0 + seconds * 1000;
      let n = 0;
      let now = t0;
      while (now < end) {
        for (let k = 0; k < 50; k++) pair();
        n += 50;
        now = performance.now();
      }
      return { n, elapsed: (now - t0) / 1000 };
    };
    loop(o.warmupSeconds);
    errors = 0;
    const cpu0 = process.cpuUsage();
    const { n, elapsed } = loop(o.seconds);
    const cpu = process.cpuUsage(cpu0);
    lib.C_CloseSession(session);
    return {
      pairs: n,
      errors,
      ...(firstError ? { firstError } : {}),
      seconds: Math.round(elapsed * 1000) / 1000,
      pairsPerSec: Math.round(n / elapsed),
      cpuPercent: Math.round(((cpu.user + cpu.system) / 1e6 / elapsed) * 100),
    };
  } finally {
    lib.C_Finalize();
  }
}

function findSecret(lib: pkcs11js.PKCS11, session: Buffer, objectId: string): Buffer {
  lib.C_FindObjectsInit(session, [
    { type: pkcs11js.CKA_ID, value: Buffer.from(objectId, 'hex') },
    { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_SECRET_KEY },
  ]);
  try {
    const [handle] = lib.C_FindObjects(session, 1);
    if (!handle) throw new Error(`no secret key with CKA_ID ${objectId}`);
    return handle;
  } finally {
    lib.C_FindObjectsFinal(session);
  }
}
