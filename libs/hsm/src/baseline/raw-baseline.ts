import { randomBytes } from 'node:crypto';
import type * as Graphene from 'graphene-pk11';
import * as pkcs11js from 'pkcs11js';
import { capabilitiesForVendor } from '../capabilities/vendor-capabilities';
import { PoolCapabilities } from '../hsm.port';
import { PoolConfig, readSecret } from '../pool-config';
import { sessionSecretTemplate } from '../pkcs11/key-templates';
import { toPkcs11Mechanism } from '../pkcs11/mechanisms';
import { findObject, findSlot, measureAsync, measureSync, RawFamily, RawMeasurement, Variant } from './raw-measure';
import { KwpSample, stateChangeVariants } from './raw-state-changes';

export type { RawFamily, RawMeasurement } from './raw-measure';
export type { KwpSample } from './raw-state-changes';

/**
 * Raw PKCS#11 baseline for `npm run bench`: the operations the gateway's wrapKey/unwrapKey perform, run straight on
 * pkcs11js (and graphene-pk11) against the same pool and the same key objects, without Nest, GraphQL, Postgres or
 * the adapter. Lives in libs/hsm because only this library may import graphene-pk11 or pkcs11js.
 *
 * "gateway" shape = exactly the PKCS#11 calls GrapheneHsmAdapter makes per operation:
 *   wrapValue(AES_KEY_WRAP_PAD): C_CreateObject (session generic secret), C_WrapKeyAsync, C_DestroyObject;
 *   decrypt(RSA_OAEP SHA-1):     C_DecryptInit, C_DecryptAsync.
 * "pure" shape = the bare cryptographic call (C_WrapKey of an existing session DEK; C_UnwrapKey of the OAEP blob to
 * a session secret), as in the earlier HSM spike.
 * "async" variants keep `inFlight` callers queued FIFO on `pool.sessions` sessions, one operation per session, on the
 * libuv thread pool (UV_THREADPOOL_SIZE) — the gateway's model. "sync" variants loop on one session in the main thread.
 * The state-change families (generate-data-key, release-data-key, create-key) are in raw-state-changes.ts.
 */

export interface RawBaselineOptions {
  pool: PoolConfig;
  /**
   * hex CKA_ID of an AES-256 token key with CKA_WRAP and CKA_UNWRAP (e.g. the bench key created through the API); for
   * kwp-wrap, generate-data-key and release-data-key (the KEK).
   */
  aesObjectId?: string;
  /** hex CKA_ID of an RSA-3072 token key pair whose private key has CKA_DECRYPT and CKA_UNWRAP; for rsa-oaep-unwrap. */
  rsaObjectId?: string;
  /** OAEP (SHA-1, MGF1-SHA-1, no label) ciphertexts under the RSA key, and the plaintexts they hold. */
  rsaSamples?: Array<{ ciphertext: Buffer; plaintext: Buffer }>;
  /** RFC 5649 blobs under the AES key and the data keys they hold (e.g. made by generateDataKey); for release-data-key. */
  kwpSamples?: KwpSample[];
  /** Length of the gateway-shaped measurements (the candidates for the reference), seconds. */
  seconds: number;
  /** Length of the other variants, seconds. */
  auxSeconds: number;
  warmupSeconds: number;
  /** Callers in flight for the async variants (they queue on pool.sessions sessions, like the gateway's callers). */
  inFlight: number;
  families?: RawFamily[];
  log?: (line: string) => void;
  /** Awaited before each measurement (e.g. to wait for a quiet machine); its warm-up follows. */
  beforeEach?: (id: string) => Promise<void>;
  /** Called right before and right after each timed window (e.g. to sample machine CPU); not timed. */
  onWindow?: (id: string, phase: 'start' | 'end') => void;
}

export interface RawBaselineResult {
  pool: string;
  vendor: string;
  module: string;
  sessions: number;
  threadpoolSize: number;
  measurements: RawMeasurement[];
  /** The fastest gateway-shaped measurement per family: what the API is compared with. */
  reference: Partial<Record<RawFamily, RawMeasurement>>;
  /** The fastest measurement of any shape per family. */
  best: Partial<Record<RawFamily, RawMeasurement>>;
}

const SESSION_FLAGS = pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION;
const OAEP_SHA1 = { name: 'RSA_OAEP', hash: 'SHA-1' } as const;
const KWP = { name: 'AES_KEY_WRAP_PAD' } as const;
/** 32-byte value wrapped with RFC 5649: 40 bytes. */
const KWP_WRAPPED_LENGTH = 40;

export async function runRawBaseline(options: RawBaselineOptions): Promise<RawBaselineResult> {
  const log = options.log ?? (() => undefined);
  const { pool } = options;
  const caps = capabilitiesForVendor(pool.vendor);
  Object.assign(process.env, pool.environment);
  const lib = new pkcs11js.PKCS11();
  lib.load(pool.module);
  const init: pkcs11js.InitializationOptions = { flags: pkcs11js.CKF_OS_LOCKING_OK };
  if (pool.libraryParameters !== undefined) init.libraryParameters = pool.libraryParameters;
  lib.C_Initialize(init);
  const sessions: Buffer[] = [];
  try {
    const slot = findSlot(lib, pool.tokenLabel);
    for (let i = 0; i < pool.sessions; i++) sessions.push(lib.C_OpenSession(slot, SESSION_FLAGS));
    try {
      lib.C_Login(sessions[0], pkcs11js.CKU_USER, readSecret(pool.pin, `pool ${pool.name} PIN`));
    } catch (error) {
      if (!String(error).includes('CKR_USER_ALREADY_LOGGED_IN')) throw error;
    }
    const families = new Set<RawFamily>(options.families ?? ['kwp-wrap', 'rsa-oaep-unwrap']);
    const handle = (family: RawFamily, objectId: string | undefined, objectClass: number): Buffer | undefined => {
      if (!families.has(family)) return undefined;
      if (!objectId) throw new Error(`${family} needs the CKA_ID of its key`);
      return findObject(lib, sessions[0], objectId, objectClass);
    };
    const aes = handle('kwp-wrap', options.aesObjectId, pkcs11js.CKO_SECRET_KEY);
    const rsa = handle('rsa-oaep-unwrap', options.rsaObjectId, pkcs11js.CKO_PRIVATE_KEY);
    if (rsa && !options.rsaSamples?.length) throw new Error('rsa-oaep-unwrap needs rsaSamples');
    const needsKek = families.has('generate-data-key') || families.has('release-data-key');
    if (needsKek && !options.aesObjectId) throw new Error('generate-data-key and release-data-key need the CKA_ID of the AES key');
    const kek = needsKek ? findObject(lib, sessions[0], options.aesObjectId as string, pkcs11js.CKO_SECRET_KEY) : undefined;
    const variants = [
      ...(aes ? kwpVariants(lib, slot, caps, aes, sessions) : []),
      ...(rsa ? rsaVariants(lib, slot, caps, rsa, options.rsaSamples ?? []) : []),
      ...stateChangeVariants({ lib, caps, pool, sessions, kek, families, samples: options.kwpSamples ?? [] }),
    ];
    const measurements: RawMeasurement[] = [];
    for (const variant of variants) {
      const seconds = variant.reference ? options.seconds : options.auxSeconds;
      await options.beforeEach?.(variant.id);
      const onWindow = (phase: 'start' | 'end'): void => options.onWindow?.(variant.id, phase);
      const m = variant.mode === 'sync'
        ? measureSync(variant, sessions[0], seconds, options.warmupSeconds, onWindow)
        : await measureAsync(variant, sessions, options.inFlight, seconds, options.warmupSeconds, onWindow);
      measurements.push(m);
      log(`raw ${m.id.padEnd(34)} ${String(m.opsPerSec).padStart(7)} ops/s  (${m.mode}, ${m.mode === 'async' ? `${m.inFlight} in flight on ${m.sessions} sessions` : '1 session'}, cpu ${m.cpuPercent}%)${m.errors ? `  ERRORS ${m.errors}: ${m.firstError}` : ''}`);
    }
    const pick = (filter: (m: RawMeasurement) => boolean): Partial<Record<RawFamily, RawMeasurement>> => {
      const out: Partial<Record<RawFamily, RawMeasurement>> = {};
      for (const m of measurements) {
        if (!filter(m) || m.errors > 0) continue;
        const current = out[m.family];
        if (!current || m.opsPerSec > current.opsPerSec) out[m.family] = m;
      }
      return out;
    };
    return {
      pool: pool.name,
      vendor: pool.vendor,
      module: pool.module,
      sessions: pool.sessions,
      threadpoolSize: Number(process.env.UV_THREADPOOL_SIZE ?? 4),
      measurements,
      reference: pick((m) => m.shape === 'gateway'),
      best: pick(() => true),
    };
  } finally {
    for (const session of sessions) {
      try {
        lib.C_CloseSession(session);
      } catch {
        // finalising closes it anyway
      }
    }
    try {
      lib.C_Finalize();
    } catch {
      // already finalised
    }
  }
}

/** graphene-pk11 over the same initialised library and the same (logged-in) token. */
function grapheneOn(lib: pkcs11js.PKCS11, slot: Buffer): { graphene: typeof Graphene; session: (s: Buffer) => Graphene.Session } {
  // Loaded lazily so that processes importing @keybridge/hsm (the gateway) do not load graphene-pk11 for nothing.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const graphene = require('graphene-pk11') as typeof Graphene;
  const gSlot = new graphene.Slot(slot, new graphene.Module(lib), lib);
  return { graphene, session: (s) => new graphene.Session(s, gSlot, lib) };
}

function kwpVariants(lib: pkcs11js.PKCS11, slot: Buffer, caps: PoolCapabilities, aes: Buffer, sessions: Buffer[]): Variant[] {
  const kwp = toPkcs11Mechanism(KWP, caps);
  const value = (): Buffer => randomBytes(32);
  // One extractable session DEK per session for the "pure" wrap (C_WrapKey of an existing object).
  const deks = new Map<string, Buffer>();
  const dekOf = (session: Buffer): Buffer => {
    const key = session.toString('hex');
    let dek = deks.get(key);
    if (!dek) {
      dek = lib.C_CreateObject(session, sessionSecretTemplate(randomBytes(32)));
      deks.set(key, dek);
    }
    return dek;
  };
  for (const s of sessions) dekOf(s);
  const checkWrapped = (wrapped: Buffer): void => {
    if (wrapped.length !== KWP_WRAPPED_LENGTH) throw new Error(`KWP output is ${wrapped.length} bytes, expected ${KWP_WRAPPED_LENGTH}`);
  };
  const { graphene, session: gSession } = grapheneOn(lib, slot);
  const gKwp = { name: caps.aesKeyWrapPadMechanism, params: null } as unknown as Graphene.MechanismType;

  return [
    {
      id: 'kwp-wrap/gateway/async',
      family: 'kwp-wrap',
      shape: 'gateway',
      api: 'pkcs11js',
      mode: 'async',
      reference: true,
      description: 'C_CreateObject(session secret, 32 B) + C_WrapKeyAsync(KWP, token AES-256) + C_DestroyObject — what GrapheneHsmAdapter.wrapValue does',
      async: (session) => async () => {
        const secret = lib.C_CreateObject(session, sessionSecretTemplate(value()));
        try {
          checkWrapped(await lib.C_WrapKeyAsync(session, kwp, aes, secret, Buffer.alloc(32 + 64 + 132)));
        } finally {
          lib.C_DestroyObject(session, secret);
        }
      },
    },
    {
      id: 'kwp-wrap/gateway/sync',
      family: 'kwp-wrap',
      shape: 'gateway',
      api: 'pkcs11js',
      mode: 'sync',
      reference: true,
      description: 'the same three calls, synchronous C_WrapKey, one session in a loop',
      sync: (session) => () => {
        const secret = lib.C_CreateObject(session, sessionSecretTemplate(value()));
        try {
          checkWrapped(lib.C_WrapKey(session, kwp, aes, secret, Buffer.alloc(32 + 64 + 132)));
        } finally {
          lib.C_DestroyObject(session, secret);
        }
      },
    },
    {
      id: 'kwp-wrap/pure/async',
      family: 'kwp-wrap',
      shape: 'pure',
      api: 'pkcs11js',
      mode: 'async',
      reference: false,
      description: 'C_WrapKeyAsync(KWP) of an existing session DEK (no object create/destroy)',
      async: (session) => {
        const dek = dekOf(session);
        return async () => checkWrapped(await lib.C_WrapKeyAsync(session, kwp, aes, dek, Buffer.alloc(128)));
      },
    },
    {
      id: 'kwp-wrap/pure/sync',
      family: 'kwp-wrap',
      shape: 'pure',
      api: 'pkcs11js',
      mode: 'sync',
      reference: false,
      description: 'C_WrapKey(KWP) of an existing session DEK, synchronous loop',
      sync: (session) => {
        const dek = dekOf(session);
        return () => checkWrapped(lib.C_WrapKey(session, kwp, aes, dek, Buffer.alloc(128)));
      },
    },
    {
      id: 'kwp-wrap/pure/sync/graphene',
      family: 'kwp-wrap',
      shape: 'pure',
      api: 'graphene-pk11',
      mode: 'sync',
      reference: false,
      description: 'graphene Session.wrapKey(KWP) of an existing session DEK (the HSM spike\'s "wrap")',
      sync: (session) => {
        const s = gSession(session);
        const wrapping = new graphene.SecretKey(aes, s, lib);
        const dek = new graphene.SecretKey(dekOf(session), s, lib);
        return () => checkWrapped(s.wrapKey(gKwp, wrapping, dek));
      },
    },
  ];
}

function rsaVariants(
  lib: pkcs11js.PKCS11,
  slot: Buffer,
  caps: PoolCapabilities,
  rsa: Buffer,
  samples: Array<{ ciphertext: Buffer; plaintext: Buffer }>,
): Variant[] {
  const oaep = toPkcs11Mechanism(OAEP_SHA1, caps);
  let sampleIndex = 0;
  const nextSample = (): { ciphertext: Buffer; plaintext: Buffer } => samples[sampleIndex++ % samples.length];
  const checkPlain = (got: Buffer, want: Buffer): void => {
    if (!got.equals(want)) throw new Error('RSA-OAEP output does not match the plaintext');
  };
  const rsaOut = (): Buffer => Buffer.alloc(512);
  const { graphene, session: gSession } = grapheneOn(lib, slot);
  const gOaep = { name: 'RSA_PKCS_OAEP', params: new graphene.RsaOaepParams(graphene.MechanismEnum.SHA1, graphene.RsaMgf.MGF1_SHA1) };
  const gUnwrapTemplate: Graphene.ITemplate = {
    class: graphene.ObjectClass.SECRET_KEY,
    keyType: graphene.KeyType.GENERIC_SECRET,
    token: false,
    private: true,
    sensitive: false,
    extractable: true,
  };

  return [
    {
      id: 'rsa-oaep/gateway/async',
      family: 'rsa-oaep-unwrap',
      shape: 'gateway',
      api: 'pkcs11js',
      mode: 'async',
      reference: true,
      description: 'C_DecryptInit(RSA-OAEP SHA-1, token RSA-3072 private key) + C_DecryptAsync — what unwrapKey(RSA_OAEP) does',
      async: (session) => async () => {
        const sample = nextSample();
        lib.C_DecryptInit(session, oaep, rsa);
        checkPlain(await lib.C_DecryptAsync(session, sample.ciphertext, rsaOut()), sample.plaintext);
      },
    },
    {
      id: 'rsa-oaep/gateway/sync',
      family: 'rsa-oaep-unwrap',
      shape: 'gateway',
      api: 'pkcs11js',
      mode: 'sync',
      reference: true,
      description: 'C_DecryptInit + synchronous C_Decrypt, one session in a loop',
      sync: (session) => () => {
        const sample = nextSample();
        lib.C_DecryptInit(session, oaep, rsa);
        checkPlain(lib.C_Decrypt(session, sample.ciphertext, rsaOut()), sample.plaintext);
      },
    },
    {
      id: 'rsa-oaep/pure-unwrap/async',
      family: 'rsa-oaep-unwrap',
      shape: 'pure',
      api: 'pkcs11js',
      mode: 'async',
      reference: false,
      description: 'C_UnwrapKeyAsync(RSA-OAEP SHA-1) to a session generic secret + C_DestroyObject',
      async: (session) => async () => {
        const sample = nextSample();
        const key = await lib.C_UnwrapKeyAsync(session, oaep, rsa, sample.ciphertext, sessionSecretTemplate());
        lib.C_DestroyObject(session, key);
      },
    },
    {
      id: 'rsa-oaep/pure-unwrap/sync/graphene',
      family: 'rsa-oaep-unwrap',
      shape: 'pure',
      api: 'graphene-pk11',
      mode: 'sync',
      reference: false,
      description: 'graphene Session.unwrapKey(RSA_PKCS_OAEP SHA-1) to a session secret + destroy (the HSM spike\'s "rsa-unwrap")',
      sync: (session) => {
        const s = gSession(session);
        const key = new graphene.PrivateKey(rsa, s, lib);
        return () => s.unwrapKey(gOaep, key, nextSample().ciphertext, gUnwrapTemplate).destroy();
      },
    },
  ];
}
