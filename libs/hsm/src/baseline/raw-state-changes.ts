import { randomBytes } from 'node:crypto';
import * as pkcs11js from 'pkcs11js';
import { PoolCapabilities } from '../hsm.port';
import { FULL_USAGE } from '../key-usage';
import { PoolConfig } from '../pool-config';
import { dataKeyTemplate, secretKeyTemplate, sessionSecretTemplate } from '../pkcs11/key-templates';
import { ckrName } from '../pkcs11/ckr';
import { toPkcs11Mechanism } from '../pkcs11/mechanisms';
import { ObjectHandleCache } from '../pkcs11/object-handle.cache';
import { RawFamily, Variant } from './raw-measure';

/**
 * Raw baselines of the state changes (bench/state-changes.ts): the PKCS#11 calls GrapheneHsmAdapter makes for
 * generateDataKey, releaseDataKey and createKey, with the adapter's templates, on the pool's sessions:
 *   generate-data-key = generateDataKey(KWP, 32 B): C_GenerateKey (session AES-256, extractable, not sensitive),
 *                       C_WrapKey (KWP under the KEK), C_GetAttributeValue (CKA_VALUE), C_DestroyObject;
 *   release-data-key  = unwrapValue(KWP):           C_UnwrapKey (KWP, to a session generic secret),
 *                       C_GetAttributeValue (CKA_VALUE), C_DestroyObject;
 *   create-key        = generateKey(oct 256):       C_FindObjects for the new CKA_ID (the adapter refuses an id in
 *                       use), C_GenerateKey of a token AES-256 key with the project's template (sensitive, not
 *                       extractable, every AES usage), tried once more after CKR_GENERAL_ERROR as the adapter does
 *                       (without its 10 ms pause).
 *                       The keys made are destroyed after the warm-up and after the window, untimed: the token grows
 *                       during a window as it does under the API. SoftHSM's file store costs grow with the number
 *                       of objects on the token, so the count at the start is part of the description.
 * depositWrappedKey does no HSM work, so it has no baseline.
 */

export interface KwpSample {
  wrapped: Buffer;
  plaintext: Buffer;
}

export interface StateChangeSetup {
  lib: pkcs11js.PKCS11;
  caps: PoolCapabilities;
  pool: PoolConfig;
  sessions: Buffer[];
  /** Handle of the token AES-256 KEK (generate-data-key, release-data-key). */
  kek?: Buffer;
  families: Set<RawFamily>;
  /** Blobs under the KEK and their data keys (release-data-key). */
  samples: KwpSample[];
}

const DEK_BYTES = 32;
/** RFC 5649 of 32 bytes. */
const KWP_WRAPPED_LENGTH = 40;
/** The adapter's output buffer for a wrap: input + OUTPUT_SLACK + 132. */
const WRAP_OUT = DEK_BYTES + 64 + 132;

export function stateChangeVariants(setup: StateChangeSetup): Variant[] {
  const { families } = setup;
  return [
    ...(families.has('generate-data-key') ? generateDataKeyVariants(setup) : []),
    ...(families.has('release-data-key') ? releaseDataKeyVariants(setup) : []),
    ...(families.has('create-key') ? createKeyVariants(setup) : []),
  ];
}

function kekOf(setup: StateChangeSetup): Buffer {
  if (!setup.kek) throw new Error('the state-change baselines need the KEK');
  return setup.kek;
}

function valueOf(lib: pkcs11js.PKCS11, session: Buffer, handle: Buffer): Buffer {
  const [value] = lib.C_GetAttributeValue(session, handle, [{ type: pkcs11js.CKA_VALUE }]);
  return Buffer.from(value.value);
}

function generateDataKeyVariants(setup: StateChangeSetup): Variant[] {
  const { lib, caps, sessions } = setup;
  const kek = kekOf(setup);
  const kwp = toPkcs11Mechanism({ name: 'AES_KEY_WRAP_PAD' }, caps);
  const aesKeyGen = { mechanism: pkcs11js.CKM_AES_KEY_GEN };
  const check = (wrapped: Buffer, value: Buffer): void => {
    if (wrapped.length !== KWP_WRAPPED_LENGTH || value.length !== DEK_BYTES) {
      throw new Error(`generated ${value.length}-byte DEK wrapped to ${wrapped.length} bytes, expected ${DEK_BYTES} and ${KWP_WRAPPED_LENGTH}`);
    }
  };
  // Once, untimed: what the loop produces really unwraps under the KEK to the value it read.
  const session = sessions[0];
  const dek = lib.C_GenerateKey(session, aesKeyGen, dataKeyTemplate(DEK_BYTES));
  try {
    const wrapped = lib.C_WrapKey(session, kwp, kek, dek, Buffer.alloc(WRAP_OUT));
    const secret = lib.C_UnwrapKey(session, kwp, kek, wrapped, sessionSecretTemplate());
    const same = valueOf(lib, session, secret).equals(valueOf(lib, session, dek));
    lib.C_DestroyObject(session, secret);
    if (!same) throw new Error('generate-data-key self-test: the wrapped DEK does not unwrap to its value');
  } finally {
    lib.C_DestroyObject(session, dek);
  }
  return [
    {
      id: 'generate-data-key/gateway/async',
      family: 'generate-data-key',
      shape: 'gateway',
      api: 'pkcs11js',
      mode: 'async',
      reference: true,
      description:
        'C_GenerateKeyAsync(session AES-256) + C_WrapKeyAsync(KWP, token AES-256 KEK) + C_GetAttributeValue(CKA_VALUE) + C_DestroyObject — what GrapheneHsmAdapter.generateDataKey does',
      async: (s) => async () => {
        const key = await lib.C_GenerateKeyAsync(s, aesKeyGen, dataKeyTemplate(DEK_BYTES));
        try {
          const wrapped = await lib.C_WrapKeyAsync(s, kwp, kek, key, Buffer.alloc(WRAP_OUT));
          check(wrapped, valueOf(lib, s, key));
        } finally {
          lib.C_DestroyObject(s, key);
        }
      },
    },
    {
      id: 'generate-data-key/gateway/sync',
      family: 'generate-data-key',
      shape: 'gateway',
      api: 'pkcs11js',
      mode: 'sync',
      reference: true,
      description: 'the same four calls, synchronous, one session in a loop',
      sync: (s) => () => {
        const key = lib.C_GenerateKey(s, aesKeyGen, dataKeyTemplate(DEK_BYTES));
        try {
          check(lib.C_WrapKey(s, kwp, kek, key, Buffer.alloc(WRAP_OUT)), valueOf(lib, s, key));
        } finally {
          lib.C_DestroyObject(s, key);
        }
      },
    },
  ];
}

function releaseDataKeyVariants(setup: StateChangeSetup): Variant[] {
  const { lib, caps, samples } = setup;
  const kek = kekOf(setup);
  if (samples.length === 0) throw new Error('release-data-key needs samples (blobs under the KEK and their data keys)');
  const kwp = toPkcs11Mechanism({ name: 'AES_KEY_WRAP_PAD' }, caps);
  let next = 0;
  const unwrapped = (s: Buffer, secret: Buffer, sample: KwpSample): void => {
    try {
      if (!valueOf(lib, s, secret).equals(sample.plaintext)) throw new Error('the unwrapped value is not the data key');
    } finally {
      lib.C_DestroyObject(s, secret);
    }
  };
  return [
    {
      id: 'release-data-key/gateway/async',
      family: 'release-data-key',
      shape: 'gateway',
      api: 'pkcs11js',
      mode: 'async',
      reference: true,
      description: 'C_UnwrapKeyAsync(KWP, token AES-256 KEK, to a session secret) + C_GetAttributeValue(CKA_VALUE) + C_DestroyObject — what GrapheneHsmAdapter.unwrapValue does',
      async: (s) => async () => {
        const sample = samples[next++ % samples.length];
        unwrapped(s, await lib.C_UnwrapKeyAsync(s, kwp, kek, sample.wrapped, sessionSecretTemplate()), sample);
      },
    },
    {
      id: 'release-data-key/gateway/sync',
      family: 'release-data-key',
      shape: 'gateway',
      api: 'pkcs11js',
      mode: 'sync',
      reference: true,
      description: 'the same three calls, synchronous, one session in a loop',
      sync: (s) => () => {
        const sample = samples[next++ % samples.length];
        unwrapped(s, lib.C_UnwrapKey(s, kwp, kek, sample.wrapped, sessionSecretTemplate()), sample);
      },
    },
  ];
}

/** Every object the logged-in user sees on the token (and this process's session objects). */
function objectCount(lib: pkcs11js.PKCS11, session: Buffer): number {
  lib.C_FindObjectsInit(session, []);
  try {
    let n = 0;
    for (let batch = lib.C_FindObjects(session, 256); batch.length > 0; batch = lib.C_FindObjects(session, 256)) n += batch.length;
    return n;
  } finally {
    lib.C_FindObjectsFinal(session);
  }
}

/** The adapter's retryGeneration: SoftHSM's file store now and then fails a generation that races its reload. */
const GENERATION_RACE_CKRS = new Set(['CKR_GENERAL_ERROR', 'CKR_TEMPLATE_INCONSISTENT']);

function createKeyVariants(setup: StateChangeSetup): Variant[] {
  const { lib, pool, sessions } = setup;
  const lookup = new ObjectHandleCache(lib);
  const objectsAtStart = objectCount(lib, sessions[0]);
  let created: Buffer[] = [];
  let counter = 0;
  const request = () => {
    const objectId = randomBytes(16).toString('hex');
    return {
      objectId,
      ...secretKeyTemplate({
        pool: pool.name,
        objectId,
        label: `raw-baseline/k${counter++}/1`,
        spec: { kty: 'oct', bits: 256 },
        usage: FULL_USAGE.oct,
        exportable: false,
      }),
    };
  };
  const unused = (s: Buffer, objectId: string): void => {
    if (lookup.findHandles(s, objectId).length > 0) throw new Error('objectId is already in use');
  };
  const raced = (error: unknown): boolean => GENERATION_RACE_CKRS.has(ckrName(error) ?? '');
  const destroyCreated = (): void => {
    const handles = created;
    created = [];
    for (const handle of handles) lib.C_DestroyObject(sessions[0], handle);
  };
  const variant = (mode: 'sync' | 'async'): Variant => ({
    id: `create-key/gateway/${mode}`,
    family: 'create-key',
    shape: 'gateway',
    api: 'pkcs11js',
    mode,
    reference: true,
    description:
      (mode === 'async'
        ? "C_FindObjects(new CKA_ID) + C_GenerateKeyAsync(token AES-256, the project's template) — what GrapheneHsmAdapter.generateKey does for oct/256"
        : 'the same calls, synchronous, one session in a loop') + `; destroyed untimed after the window; ${objectsAtStart} objects on the token at the start`,
    ...(mode === 'async'
      ? {
          async: (s: Buffer) => async () => {
            const { objectId, mechanism, template } = request();
            unused(s, objectId);
            try {
              created.push(await lib.C_GenerateKeyAsync(s, mechanism, template));
            } catch (error) {
              if (!raced(error)) throw error;
              created.push(await lib.C_GenerateKeyAsync(s, mechanism, template));
            }
          },
        }
      : {
          sync: (s: Buffer) => () => {
            const { objectId, mechanism, template } = request();
            unused(s, objectId);
            try {
              created.push(lib.C_GenerateKey(s, mechanism, template));
            } catch (error) {
              if (!raced(error)) throw error;
              created.push(lib.C_GenerateKey(s, mechanism, template));
            }
          },
        }),
    afterRun: destroyCreated,
  });
  return [variant('async'), variant('sync')];
}
