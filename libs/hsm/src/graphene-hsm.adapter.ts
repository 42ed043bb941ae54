import { Span, SpanStatusCode, trace } from '@opentelemetry/api';
import { OverloadError } from '@keybridge/platform';
import { METRICS, metricsEnabled, noteOperationPool, observableGauge, observeBatch, recordHsmCall, secondsSince } from '@keybridge/telemetry';
import * as pkcs11js from 'pkcs11js';
import { capabilitiesForVendor } from './capabilities/vendor-capabilities';
import { ecPublicJwk, rsaPublicJwk } from './encoding/public-jwk';
import { HsmError, HsmErrorCode } from './hsm.errors';
import {
  GeneratedDataKey,
  GeneratedKey,
  GenerateKeyRequest,
  HsmKeyRef,
  HsmMechanism,
  HsmObjectAttributes,
  HsmPort,
  KeyUsage,
  PoolCapabilities,
  PoolHealth,
  PoolInfo,
  PublicKeyJwk,
  RewrapBatchOptions,
  RewrapItemResult,
} from './hsm.port';
import { checkInput, checkKeySpec, checkKeyType, checkMechanism, HsmOperation, mechanismLabel, signatureLengthFits } from './mechanism-rules';
import { PoolConfig, readSecret } from './pool-config';
import { ckrName, sleep } from './pkcs11/ckr';
import { isHandleInvalid, toHsmError } from './pkcs11/hsm-error.mapper';
import { dataKeyTemplate, keyPairTemplates, rewrapSecretTemplate, secretKeyTemplate, sessionSecretTemplate } from './pkcs11/key-templates';
import { toPkcs11Mechanism } from './pkcs11/mechanisms';
import { KeyObject, KeyObjects, ObjectHandleCache } from './pkcs11/object-handle.cache';
import { LoadedModule, MODULE_REGISTRY, Pkcs11ModuleRegistry } from './pkcs11/pkcs11-module.registry';
import { SessionPool } from './pkcs11/session.pool';
import type { ImportWrappedKeyRequest } from './hsm.port';
import { checkImport } from './import-rules';
import { ephemeralTemplate as importEphemeralTemplate, importUnderEphemeral, importWrappedKey, openSeal, readPublicKey } from './pkcs11/wrapped-key-import';
import {
  destroyQuietly as destroyExportObject,
  ExportSession,
  makeWrappedEphemeral,
  sealUnderEphemeral,
  secretAsEphemeral,
  wrapUnderEphemeral,
} from './pkcs11/key-export';
import { checkExport, checkExportPolicy, checkSecret } from './export-rules';
import { exportPolicyOf } from './mechanism-rules';
import type { ExportedKeys, ExportKeysRequest, ExportPolicy, ImportKeyWithSecretRequest, OpenSealRequest, WrapKeysWithSecretRequest } from './hsm.port';

interface PoolRuntime {
  name: string;
  tokenLabel: string;
  caps: PoolCapabilities;
  config: PoolConfig;
  exportPolicy: ExportPolicy;
  lib: pkcs11js.PKCS11;
  module: LoadedModule;
  sessions: SessionPool;
  cache: ObjectHandleCache;
}

const tracer = trace.getTracer('keybridge.hsm');

/** CKS_RO_USER_FUNCTIONS, CKS_RW_USER_FUNCTIONS (PKCS#11 2.40 §5.6; pkcs11js's typings lack the CKS_ constants). */
const USER_STATES = new Set([1, 3]);
const OBJECT_ID = /^(?:[0-9a-f]{2}){1,64}$/;
/** Largest signature or RSA block we may get back beyond the input itself (P-521 ECDSA is 132 bytes). */
const OUTPUT_SLACK = 64;

/**
 * HsmPort over PKCS#11 through pkcs11js (the graphene-pk11 stack's native layer). Every key operation uses the
 * *Async form, which runs on the libuv thread pool, so the event loop stays responsive; FindObjects,
 * GetAttributeValue and the *Init calls are synchronous and kept off the hot path by the handle cache.
 */
export class GrapheneHsmAdapter implements HsmPort {
  private closed = false;
  private readonly stopObservingSessions: () => void;

  private constructor(
    private readonly runtimes: Map<string, PoolRuntime>,
    private readonly registry: Pkcs11ModuleRegistry,
  ) {
    this.stopObservingSessions = observeSessionPools(runtimes);
  }

  static async open(configs: PoolConfig[], registry: Pkcs11ModuleRegistry = MODULE_REGISTRY): Promise<GrapheneHsmAdapter> {
    const runtimes = new Map<string, PoolRuntime>();
    try {
      const byModule = new Map<string, PoolConfig[]>();
      for (const config of configs) byModule.set(config.module, [...(byModule.get(config.module) ?? []), config]);
      for (const group of byModule.values()) {
        // The first acquisition looks up every token of the library, so a missing one can still be cured by
        // re-initialising before any session exists; the others only take a reference (and check parameters).
        const labels = group.map((c) => c.tokenLabel);
        for (const [index, config] of group.entries()) {
          const spec = { path: config.module, libraryParameters: config.libraryParameters, environment: config.environment };
          const { module, slots } = await registry.acquire(spec, index === 0 ? labels : [config.tokenLabel]);
          const sessions = new SessionPool(module.lib, slots.get(config.tokenLabel) as Buffer, config.sessions, config.name, config.acquireTimeoutMs);
          try {
            sessions.open(readSecret(config.pin, `pool ${config.name} PIN`));
          } catch (error) {
            registry.release(module);
            throw error;
          }
          runtimes.set(config.name, {
            name: config.name,
            tokenLabel: config.tokenLabel,
            caps: capabilitiesForVendor(config.vendor),
            config,
            exportPolicy: exportPolicyOf(capabilitiesForVendor(config.vendor), config.allowPinOnlyExport),
            lib: module.lib,
            module,
            sessions,
            cache: new ObjectHandleCache(module.lib),
          });
        }
      }
    } catch (error) {
      for (const runtime of runtimes.values()) {
        await runtime.sessions.close();
        registry.release(runtime.module);
      }
      throw error;
    }
    return new GrapheneHsmAdapter(runtimes, registry);
  }

  pools(): PoolInfo[] {
    return [...this.runtimes.values()].map((r) => ({
      name: r.name,
      tokenLabel: r.tokenLabel,
      capabilities: r.caps,
      exportPolicy: r.exportPolicy,
      securityOfficerConfigured: r.config.soPin !== undefined,
    }));
  }

  capabilities(pool: string): PoolCapabilities {
    return this.runtime(pool).caps;
  }

  async health(): Promise<PoolHealth[]> {
    return Promise.all(
      [...this.runtimes.values()].map(async (runtime): Promise<PoolHealth> => {
        try {
          const state = await runtime.sessions.use(async (session) => runtime.lib.C_GetSessionInfo(session).state);
          return { pool: runtime.name, loggedIn: USER_STATES.has(state) };
        } catch (error) {
          const mapped = toHsmError(error, { pool: runtime.name, operation: 'health', capabilities: runtime.caps });
          return { pool: runtime.name, loggedIn: false, error: mapped.message };
        }
      }),
    );
  }

  async generateKey(request: GenerateKeyRequest): Promise<GeneratedKey> {
    const { spec } = request;
    const label = spec.kty === 'EC' ? `EC/${spec.curve}` : `${spec.kty === 'RSA' ? 'RSA' : 'AES'}/${spec.bits}`;
    return this.call(request.pool, 'generateKey', label, async (rt) => {
      checkKeySpec(rt.name, rt.caps, request, rt.exportPolicy);
      const ref: HsmKeyRef = { pool: rt.name, objectId: request.objectId };
      return retryGeneration(() => rt.sessions.use(async (session) => {
        if (rt.cache.findHandles(session, request.objectId).length > 0) {
          // NSS derives handles from CKA_ID and would silently merge two keys with one id.
          throw new HsmError(HsmErrorCode.HSM_INVALID_INPUT, `pool ${rt.name}: objectId is already in use`, { pool: rt.name });
        }
        rt.cache.invalidate(request.objectId);
        if (spec.kty === 'oct') {
          const { mechanism, template } = secretKeyTemplate(request);
          await rt.lib.C_GenerateKeyAsync(session, mechanism, template);
          return { ref };
        }
        const { mechanism, publicTemplate, privateTemplate } = keyPairTemplates(request);
        const pair = await rt.lib.C_GenerateKeyPairAsync(session, mechanism, publicTemplate, privateTemplate);
        try {
          return { ref, publicJwk: readPublicJwk(rt.lib, session, pair.publicKey, request) };
        } catch (error) {
          for (const handle of [pair.publicKey, pair.privateKey]) destroyQuietly(rt.lib, session, handle);
          throw error;
        }
      }));
    });
  }

  async destroyKey(ref: HsmKeyRef): Promise<void> {
    return this.call(ref.pool, 'destroyKey', 'none', async (rt) => {
      const objectId = checkObjectId(rt, ref);
      rt.cache.invalidate(objectId);
      await rt.sessions.use(async (session) => {
        for (const handle of rt.cache.findHandles(session, objectId)) rt.lib.C_DestroyObject(session, handle);
      });
      rt.cache.invalidate(objectId);
    });
  }

  async exists(ref: HsmKeyRef): Promise<boolean> {
    return this.call(ref.pool, 'exists', 'none', async (rt) => {
      const objectId = checkObjectId(rt, ref);
      rt.cache.invalidate(objectId);
      return rt.sessions.use(async (session) => rt.cache.resolve(session, objectId) !== undefined);
    });
  }

  async attributes(ref: HsmKeyRef): Promise<HsmObjectAttributes> {
    return this.call(ref.pool, 'attributes', 'none', async (rt) =>
      this.withKey(rt, ref, async (session, key) => {
        if (!key.key) throw notFound(rt, ref);
        const read = (type: number): boolean => readBool(rt.lib, session, (key.key as KeyObject).handle, type);
        return {
          token: read(pkcs11js.CKA_TOKEN),
          sensitive: read(pkcs11js.CKA_SENSITIVE),
          extractable: read(pkcs11js.CKA_EXTRACTABLE),
          wrapWithTrusted: read(pkcs11js.CKA_WRAP_WITH_TRUSTED),
          neverExtractable: read(pkcs11js.CKA_NEVER_EXTRACTABLE),
          alwaysSensitive: read(pkcs11js.CKA_ALWAYS_SENSITIVE),
        };
      }),
    );
  }

  // --- BYOK import (importWrappedKey, publicKeyOf) ---------------------------------------------------------------

  async importWrappedKey(request: ImportWrappedKeyRequest): Promise<GeneratedKey> {
    const { target } = request;
    return this.call(request.pool, 'importWrappedKey', `RSA_OAEP/${request.oaepHash}+AES_KEY_WRAP_PAD`, async (rt) => {
      const objectId = checkObjectId(rt, { pool: rt.name, objectId: target.objectId });
      return this.withKey(rt, request.transportKey, async (session, transport) => {
        if (transport.kty !== 'RSA' || transport.modulusBytes === undefined) {
          throw new HsmError(HsmErrorCode.HSM_OPERATION_NOT_PERMITTED, `pool ${rt.name}: a transport key is an RSA key`, { pool: rt.name });
        }
        const unwrapping = usable(rt, transport.key, 'unwrap');
        checkImport(rt.name, rt.caps, rt.exportPolicy, request, transport.modulusBytes);
        if (rt.cache.findHandles(session, objectId).length > 0) {
          // NSS derives handles from CKA_ID and would silently merge two keys with one id.
          throw new HsmError(HsmErrorCode.HSM_INVALID_INPUT, `pool ${rt.name}: objectId is already in use`, { pool: rt.name });
        }
        rt.cache.invalidate(objectId);
        const publicJwk = await importWrappedKey(
          { lib: rt.lib, session, caps: rt.caps, pool: rt.name },
          { handle: unwrapping.handle, modulusBytes: transport.modulusBytes },
          request,
        );
        return { ref: { pool: rt.name, objectId }, publicJwk };
      });
    });
  }

  async publicKeyOf(ref: HsmKeyRef): Promise<PublicKeyJwk | undefined> {
    return this.call(ref.pool, 'publicKeyOf', 'none', async (rt) =>
      this.withKey(rt, ref, async (session, key) => readPublicKey(rt.lib, session, key)),
    );
  }

  // --- export (transfer, backup) ------------------------------------------------------------------------------------

  async exportKeys(request: ExportKeysRequest): Promise<ExportedKeys> {
    return this.call(request.pool, 'exportKeys', `RSA_OAEP/${request.oaepHash}+AES_KEY_WRAP_PAD`, async (rt) => {
      checkExport(rt.name, rt.caps, rt.exportPolicy, rt.config.soPin !== undefined, request);
      return this.withExportKey(
        rt,
        request.keys,
        (s, trusted) => makeWrappedEphemeral(s, request, trusted),
        async (s, ephemeral, keys, wrappedEphemeral) => {
          const wrappedKeys = await wrapUnderEphemeral(s, ephemeral, keys);
          const seal = request.seal?.({ wrappedEphemeral: wrappedEphemeral as Buffer, wrappedKeys });
          const sealed = seal ? await sealUnderEphemeral(s, ephemeral, seal) : undefined;
          return { wrappedEphemeral: wrappedEphemeral as Buffer, wrappedKeys, sealed, securityOfficerUsed: rt.exportPolicy === 'trusted' };
        },
      );
    });
  }

  async wrapKeysWithSecret(request: WrapKeysWithSecretRequest): Promise<Buffer[]> {
    return this.call(request.pool, 'wrapKeysWithSecret', 'AES_KEY_WRAP_PAD', async (rt) => {
      checkExportPolicy(rt.name, rt.exportPolicy, rt.config.soPin !== undefined);
      checkSecret(rt.name, request.secret);
      return this.withExportKey(
        rt,
        request.keys,
        async (s, trusted) => ({ ephemeral: secretAsEphemeral(s, request.secret, trusted) }),
        (s, ephemeral, keys) => wrapUnderEphemeral(s, ephemeral, keys),
      );
    });
  }

  async openSeal(request: OpenSealRequest): Promise<Buffer> {
    return this.call(request.pool, 'openSeal', `RSA_OAEP/${request.oaepHash}+AES_KEY_WRAP_PAD`, async (rt) => {
      if (!rt.caps.oaepHashes.includes(request.oaepHash)) {
        throw new HsmError(HsmErrorCode.UNSUPPORTED_BY_HSM, `pool ${rt.name}: its HSM cannot unwrap RSA-OAEP with ${request.oaepHash}`, { pool: rt.name });
      }
      return this.withKey(rt, request.transportKey, async (session, transport) => {
        const unwrapping = usable(rt, transport.key, 'unwrap');
        return openSeal({ lib: rt.lib, session, caps: rt.caps, pool: rt.name }, unwrapping, request);
      });
    });
  }

  async importKeyWithSecret(request: ImportKeyWithSecretRequest): Promise<GeneratedKey> {
    const { target } = request;
    return this.call(request.pool, 'importKeyWithSecret', 'AES_KEY_WRAP_PAD', async (rt) => {
      const objectId = checkObjectId(rt, { pool: rt.name, objectId: target.objectId });
      checkSecret(rt.name, request.secret);
      checkKeySpec(rt.name, rt.caps, { pool: rt.name, ...target }, rt.exportPolicy);
      return rt.sessions.use(async (session) => {
        if (rt.cache.findHandles(session, objectId).length > 0) {
          throw new HsmError(HsmErrorCode.HSM_INVALID_INPUT, `pool ${rt.name}: objectId is already in use`, { pool: rt.name });
        }
        rt.cache.invalidate(objectId);
        const s = { lib: rt.lib, session, caps: rt.caps, pool: rt.name };
        const ephemeral = rt.lib.C_CreateObject(session, importEphemeralTemplate(request.secret));
        const publicJwk = await importUnderEphemeral(s, ephemeral, request.wrapped, target);
        return { ref: { pool: rt.name, objectId }, publicJwk };
      });
    });
  }

  /**
   * The export discipline shared by exportKeys and wrapKeysWithSecret: under policy 'trusted' the pool is taken
   * whole and the wrapping key E is made by the security officer; then the user's session wraps the keys with E,
   * and E is destroyed on every path.
   */
  private async withExportKey<T>(
    rt: PoolRuntime,
    refs: HsmKeyRef[],
    make: (s: ExportSession, trusted: boolean) => Promise<{ ephemeral: Buffer; wrapped?: Buffer }>,
    use: (s: ExportSession, ephemeral: Buffer, keys: Buffer[], wrappedEphemeral?: Buffer) => Promise<T>,
  ): Promise<T> {
    if (refs.length === 0 || refs.some((ref) => ref.pool !== rt.name)) {
      throw new HsmError(HsmErrorCode.HSM_INVALID_INPUT, `pool ${rt.name}: an export names one or more keys of the pool itself`, { pool: rt.name });
    }
    const objectIds = refs.map((ref) => checkObjectId(rt, ref));
    const trusted = rt.exportPolicy === 'trusted';
    const run = async (session: Buffer): Promise<T> => {
      const s: ExportSession = { lib: rt.lib, session, caps: rt.caps, pool: rt.name };
      // Missing keys are refused before any security-officer step.
      const present = keyHandles(rt, session, objectIds);
      if (present.missing) throw notFound(rt, { pool: rt.name, objectId: present.missing });
      let made: { ephemeral: Buffer; wrapped?: Buffer } | undefined;
      if (trusted) await this.asSecurityOfficer(rt, session, async () => void (made = await make(s, true)));
      else made = await make(s, false);
      const { ephemeral, wrapped } = made as { ephemeral: Buffer; wrapped?: Buffer };
      try {
        const handles = trusted ? await findAgainAfterLogin(rt, session, objectIds) : present.handles;
        return await use(s, ephemeral, handles, wrapped);
      } finally {
        destroyExportObject(s, ephemeral);
      }
    };
    // The security officer's login is the token's for the whole process: nothing else may run on the pool meanwhile.
    return trusted ? rt.sessions.exclusive(run) : rt.sessions.use(run);
  }

  async keyCheckValue(ref: HsmKeyRef): Promise<Buffer> {
    return this.call(ref.pool, 'keyCheckValue', 'AES_ECB', async (rt) =>
      this.withKey(rt, ref, async (session, key) => {
        if (key.kty !== 'oct') throw new HsmError(HsmErrorCode.HSM_OPERATION_NOT_PERMITTED, `pool ${rt.name}: a key check value is for AES keys`, { pool: rt.name });
        const object = usable(rt, key.key, 'encrypt');
        rt.lib.C_EncryptInit(session, { mechanism: pkcs11js.CKM_AES_ECB }, object.handle);
        return rt.lib.C_EncryptAsync(session, Buffer.alloc(16), Buffer.alloc(32));
      }),
    );
  }

  /**
   * Logs the user out and the security officer in on the pool's token, runs fn, and logs the user back in on every
   * path. The caller holds the whole pool (SessionPool.exclusive). A logout invalidates private objects' handles.
   */
  private async asSecurityOfficer(rt: PoolRuntime, session: Buffer, fn: () => Promise<void>): Promise<void> {
    const soPin = rt.config.soPin;
    if (!soPin) throw new HsmError(HsmErrorCode.SECURITY_OFFICER_REQUIRED, `pool ${rt.name} has no soPin configured`, { pool: rt.name });
    rt.lib.C_Logout(session);
    rt.cache.clear();
    try {
      try {
        rt.lib.C_Login(session, pkcs11js.CKU_SO, readSecret(soPin, `pool ${rt.name} SO PIN`));
      } catch (error) {
        const ckr = ckrName(error) ?? 'none';
        throw new HsmError(HsmErrorCode.SECURITY_OFFICER_REQUIRED, `pool ${rt.name}: the security officer could not log in (${ckr})`, { pool: rt.name, ckr });
      }
      try {
        await fn();
      } finally {
        logoutQuietly(rt.lib, session);
      }
    } finally {
      loginUser(rt, session);
    }
  }

  // --- end of BYOK import ------------------------------------------------------------------------------------------

  async encrypt(ref: HsmKeyRef, mechanism: HsmMechanism, plaintext: Buffer): Promise<Buffer> {
    return this.keyOperation(ref, 'encrypt', mechanism, plaintext, async (rt, session, key) => {
      const object = usable(rt, key.kty === 'RSA' ? key.public : key.key, 'encrypt');
      rt.lib.C_EncryptInit(session, toPkcs11Mechanism(mechanism, rt.caps), object.handle);
      return rt.lib.C_EncryptAsync(session, plaintext, Buffer.alloc(outputSize(plaintext, key)));
    });
  }

  async decrypt(ref: HsmKeyRef, mechanism: HsmMechanism, ciphertext: Buffer): Promise<Buffer> {
    return this.keyOperation(ref, 'decrypt', mechanism, ciphertext, async (rt, session, key) => {
      const object = usable(rt, key.key, 'decrypt');
      rt.lib.C_DecryptInit(session, toPkcs11Mechanism(mechanism, rt.caps), object.handle);
      return rt.lib.C_DecryptAsync(session, ciphertext, Buffer.alloc(outputSize(ciphertext, key)));
    });
  }

  async wrapValue(ref: HsmKeyRef, mechanism: HsmMechanism, value: Buffer): Promise<Buffer> {
    return this.keyOperation(ref, 'wrapValue', mechanism, value, async (rt, session, key) => {
      const object = usable(rt, key.kty === 'RSA' ? key.public : key.key, 'wrap');
      const secret = rt.lib.C_CreateObject(session, sessionSecretTemplate(value));
      try {
        return await rt.lib.C_WrapKeyAsync(session, toPkcs11Mechanism(mechanism, rt.caps), object.handle, secret, Buffer.alloc(outputSize(value, key)));
      } finally {
        destroyQuietly(rt.lib, session, secret);
      }
    });
  }

  async unwrapValue(ref: HsmKeyRef, mechanism: HsmMechanism, wrapped: Buffer): Promise<Buffer> {
    return this.keyOperation(ref, 'unwrapValue', mechanism, wrapped, async (rt, session, key) => {
      const object = usable(rt, key.key, 'unwrap');
      const secret = await rt.lib.C_UnwrapKeyAsync(session, toPkcs11Mechanism(mechanism, rt.caps), object.handle, wrapped, sessionSecretTemplate());
      try {
        const [value] = rt.lib.C_GetAttributeValue(session, secret, [{ type: pkcs11js.CKA_VALUE }]);
        return Buffer.from(value.value);
      } finally {
        destroyQuietly(rt.lib, session, secret);
      }
    });
  }

  async sign(ref: HsmKeyRef, mechanism: HsmMechanism, input: Buffer): Promise<Buffer> {
    return this.keyOperation(ref, 'sign', mechanism, input, async (rt, session, key) => {
      const object = usable(rt, key.key, 'sign');
      rt.lib.C_SignInit(session, toPkcs11Mechanism(mechanism, rt.caps), object.handle);
      return rt.lib.C_SignAsync(session, input, Buffer.alloc(outputSize(input, key)));
    });
  }

  async verify(ref: HsmKeyRef, mechanism: HsmMechanism, input: Buffer, signature: Buffer): Promise<boolean> {
    return this.keyOperation(
      ref,
      'verify',
      mechanism,
      input,
      async (rt, session, key) => {
        const object = usable(rt, key.public, 'verify');
        if (!signatureLengthFits(mechanism, signature, key)) return false;
        rt.lib.C_VerifyInit(session, toPkcs11Mechanism(mechanism, rt.caps), object.handle);
        return rt.lib.C_VerifyAsync(session, input, signature);
      },
      (ckr) => (ckr === 'CKR_SIGNATURE_INVALID' || ckr === 'CKR_SIGNATURE_LEN_RANGE' ? false : undefined),
    );
  }

  async generateDataKey(ref: HsmKeyRef, mechanism: HsmMechanism, bytes: number): Promise<GeneratedDataKey> {
    return this.call(ref.pool, 'generateDataKey', mechanismLabel(mechanism), async (rt) => {
      checkMechanism(rt.name, rt.caps, 'wrapValue', mechanism);
      if (!DATA_KEY_BYTES.has(bytes)) throw new HsmError(HsmErrorCode.HSM_INVALID_INPUT, 'a data key is 16, 24 or 32 bytes', { pool: rt.name });
      return this.withKey(rt, ref, async (session, key) => {
        checkKeyType(rt.name, mechanism, key.kty);
        checkInput(rt.name, rt.caps, 'wrapValue', mechanism, Buffer.alloc(bytes), key);
        const object = usable(rt, key.kty === 'RSA' ? key.public : key.key, 'wrap');
        const secret = await rt.lib.C_GenerateKeyAsync(session, { mechanism: pkcs11js.CKM_AES_KEY_GEN }, dataKeyTemplate(bytes));
        try {
          const wrapped = await rt.lib.C_WrapKeyAsync(
            session,
            toPkcs11Mechanism(mechanism, rt.caps),
            object.handle,
            secret,
            Buffer.alloc(bytes + OUTPUT_SLACK + (key.modulusBytes ?? 132)),
          );
          const [value] = rt.lib.C_GetAttributeValue(session, secret, [{ type: pkcs11js.CKA_VALUE }]);
          return { value: Buffer.from(value.value), wrapped };
        } finally {
          destroyQuietly(rt.lib, session, secret);
        }
      });
    });
  }

  async rewrap(from: HsmKeyRef, fromMechanism: HsmMechanism, wrapped: Buffer, to: HsmKeyRef, toMechanism: HsmMechanism): Promise<Buffer> {
    const [result] = await this.rewrapBatch(from, fromMechanism, [wrapped], to, toMechanism);
    if (!result.ok) throw result.error;
    return result.wrapped;
  }

  async rewrapBatch(
    from: HsmKeyRef,
    fromMechanism: HsmMechanism,
    wrapped: Buffer[],
    to: HsmKeyRef,
    toMechanism: HsmMechanism,
    options: RewrapBatchOptions = {},
  ): Promise<RewrapItemResult[]> {
    const label = `${mechanismLabel(fromMechanism)}>${mechanismLabel(toMechanism)}`;
    return this.call(from.pool, 'rewrap', label, async (rt) => {
      if (to.pool !== from.pool) throw acrossPools(rt, to.pool);
      checkMechanism(rt.name, rt.caps, 'unwrapValue', fromMechanism);
      checkMechanism(rt.name, rt.caps, 'wrapValue', toMechanism);
      const blocking = options.allowBlocking === true && isAesWrap(fromMechanism) && isAesWrap(toMechanism);
      return this.withKeys(rt, from, to, async (session, source, target) => {
        checkKeyType(rt.name, fromMechanism, source.kty);
        checkKeyType(rt.name, toMechanism, target.kty);
        const unwrapping = usable(rt, source.key, 'unwrap');
        const wrapping = usable(rt, target.kty === 'RSA' ? target.public : target.key, 'wrap');
        const unwrapMechanism = toPkcs11Mechanism(fromMechanism, rt.caps);
        const wrapMechanism = toPkcs11Mechanism(toMechanism, rt.caps);
        const template = rewrapSecretTemplate();
        const lib = rt.lib;
        const results: RewrapItemResult[] = [];
        for (const item of wrapped) {
          try {
            checkInput(rt.name, rt.caps, 'unwrapValue', fromMechanism, item, source);
          } catch (error) {
            results.push({ ok: false, error: toHsmError(error, { pool: rt.name, operation: 'unwrapValue', capabilities: rt.caps }) });
            continue;
          }
          let secret: Buffer;
          try {
            secret = blocking
              ? lib.C_UnwrapKey(session, unwrapMechanism, unwrapping.handle, item, template)
              : await lib.C_UnwrapKeyAsync(session, unwrapMechanism, unwrapping.handle, item, template);
          } catch (error) {
            if (isHandleInvalid(error)) throw error; // a key object vanished: withKeys looks the keys up again
            results.push({ ok: false, error: toHsmError(error, { pool: rt.name, operation: 'unwrapValue', capabilities: rt.caps }) });
            continue;
          }
          try {
            const out = Buffer.alloc(item.length + OUTPUT_SLACK + (target.modulusBytes ?? 132));
            const rewrapped = blocking
              ? lib.C_WrapKey(session, wrapMechanism, wrapping.handle, secret, out)
              : await lib.C_WrapKeyAsync(session, wrapMechanism, wrapping.handle, secret, out);
            results.push({ ok: true, wrapped: rewrapped });
          } catch (error) {
            if (isHandleInvalid(error)) throw error;
            results.push({ ok: false, error: toHsmError(error, { pool: rt.name, operation: 'wrapValue', capabilities: rt.caps }) });
          } finally {
            destroyQuietly(lib, session, secret);
          }
        }
        return results;
      });
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopObservingSessions();
    for (const runtime of this.runtimes.values()) {
      await runtime.sessions.close();
      this.registry.release(runtime.module);
    }
  }

  private runtime(pool: string): PoolRuntime {
    const runtime = this.runtimes.get(pool);
    if (!runtime) throw new HsmError(HsmErrorCode.POOL_NOT_FOUND, `no HSM pool named ${JSON.stringify(pool)}`, { pool });
    return runtime;
  }

  /** Checks, then runs `work` on a pooled session with the key's cached objects. */
  private keyOperation<T>(
    ref: HsmKeyRef,
    operation: HsmOperation,
    mechanism: HsmMechanism,
    input: Buffer,
    work: (rt: PoolRuntime, session: Buffer, key: KeyObjects) => Promise<T>,
    recover?: (ckr: string) => T | undefined,
  ): Promise<T> {
    return this.call(
      ref.pool,
      operation,
      mechanismLabel(mechanism),
      async (rt) => {
        checkMechanism(rt.name, rt.caps, operation, mechanism);
        return this.withKey(rt, ref, async (session, key) => {
          checkKeyType(rt.name, mechanism, key.kty);
          checkInput(rt.name, rt.caps, operation, mechanism, input, key);
          return work(rt, session, key);
        });
      },
      recover,
    );
  }

  /** A cached handle can go stale when another process destroys the object: look it up once more. */
  private async withKey<T>(rt: PoolRuntime, ref: HsmKeyRef, work: (session: Buffer, key: KeyObjects) => Promise<T>): Promise<T> {
    const objectId = checkObjectId(rt, ref);
    for (let attempt = 1; ; attempt++) {
      try {
        return await rt.sessions.use(async (session) => {
          const key = rt.cache.resolve(session, objectId);
          if (!key) throw notFound(rt, ref);
          return work(session, key);
        });
      } catch (error) {
        if (attempt > 1 || !isHandleInvalid(error)) throw error;
        rt.cache.invalidate(objectId);
      }
    }
  }

  /** withKey for two keys of one pool on one session. */
  private async withKeys<T>(
    rt: PoolRuntime,
    a: HsmKeyRef,
    b: HsmKeyRef,
    work: (session: Buffer, first: KeyObjects, second: KeyObjects) => Promise<T>,
  ): Promise<T> {
    const ids = [checkObjectId(rt, a), checkObjectId(rt, b)];
    for (let attempt = 1; ; attempt++) {
      try {
        return await rt.sessions.use(async (session) => {
          const first = rt.cache.resolve(session, ids[0]);
          if (!first) throw notFound(rt, a);
          const second = rt.cache.resolve(session, ids[1]);
          if (!second) throw notFound(rt, b);
          return work(session, first, second);
        });
      } catch (error) {
        if (attempt > 1 || !isHandleInvalid(error)) throw error;
        for (const id of ids) rt.cache.invalidate(id);
      }
    }
  }

  /** One span per HSM call; every failure leaves as an HsmError. */
  private call<T>(
    pool: string,
    operation: string,
    mechanism: string,
    body: (rt: PoolRuntime) => Promise<T>,
    recover?: (ckr: string) => T | undefined,
  ): Promise<T> {
    const attributes = { 'hsm.pool': pool, 'hsm.operation': operation, 'hsm.mechanism': mechanism };
    // Metrics label only configured pools (a request may name any string) and outcomes from bounded sets.
    const measured = metricsEnabled() && this.runtimes.has(pool);
    const started = measured ? performance.now() : 0;
    let outcome = 'ok';
    if (measured) noteOperationPool(pool);
    return tracer.startActiveSpan(`hsm.${operation}`, { attributes }, async (span: Span) => {
      try {
        const rt = this.runtime(pool);
        try {
          const result = await body(rt);
          span.setAttribute('hsm.outcome', 'ok');
          return result;
        } catch (error) {
          const ckr = ckrName(error);
          const recovered = ckr !== undefined && recover ? recover(ckr) : undefined;
          if (ckr !== undefined && recovered !== undefined) {
            span.setAttribute('hsm.outcome', ckr);
            outcome = 'recovered';
            return recovered;
          }
          // waiting for a session ran out: overload (UNAVAILABLE), not an HSM failure
          throw error instanceof OverloadError ? error : toHsmError(error, { pool, operation, capabilities: rt.caps });
        }
      } catch (error) {
        const mapped = error instanceof HsmError || error instanceof OverloadError ? error : new HsmError(HsmErrorCode.HSM_ERROR, `pool ${pool}: ${operation} failed`, { pool });
        span.setAttribute('hsm.outcome', String(mapped.details.ckr ?? mapped.code));
        span.setStatus({ code: SpanStatusCode.ERROR, message: mapped.code });
        outcome = mapped.code;
        throw mapped;
      } finally {
        span.end();
        if (measured) recordHsmCall(pool, operation, outcome, secondsSince(started));
      }
    });
  }
}

const DATA_KEY_BYTES = new Set([16, 24, 32]);

/** Sessions in use, pool sizes and waiters per pool, read at each metrics collection. No-op without metrics. */
function observeSessionPools(runtimes: Map<string, PoolRuntime>): () => void {
  if (!metricsEnabled()) return () => undefined;
  const inUse = observableGauge(METRICS.hsmSessionsInUse);
  const size = observableGauge(METRICS.hsmSessions);
  const waiters = observableGauge(METRICS.hsmSessionWaiters);
  return observeBatch([inUse, size, waiters], (result) => {
    for (const runtime of runtimes.values()) {
      const labels = { pool: runtime.name };
      result.observe(inUse, runtime.sessions.inUse, labels);
      result.observe(size, runtime.sessions.capacity, labels);
      result.observe(waiters, runtime.sessions.waiting, labels);
    }
  });
}

function isAesWrap(mechanism: HsmMechanism): boolean {
  return mechanism.name === 'AES_KEY_WRAP' || mechanism.name === 'AES_KEY_WRAP_PAD';
}

/**
 * A data key moves between pools only through a key both pools hold. Without one (no trusted transfer keys are
 * provisioned yet; see docs/escrow.md) the answer is a typed refusal, never a plaintext hop through the process.
 */
function acrossPools(rt: PoolRuntime, other: string): HsmError {
  return new HsmError(HsmErrorCode.UNSUPPORTED_BY_HSM, `pool ${rt.name}: cannot rewrap to a key in pool ${other} (no transfer key between the pools)`, {
    pool: rt.name,
  });
}

function checkObjectId(rt: PoolRuntime, ref: HsmKeyRef): string {
  if (!OBJECT_ID.test(ref.objectId)) {
    throw new HsmError(HsmErrorCode.HSM_INVALID_INPUT, 'objectId must be 1 to 64 bytes of lower-case hex', { pool: rt.name });
  }
  return ref.objectId;
}

function notFound(rt: PoolRuntime, ref: HsmKeyRef): HsmError {
  return new HsmError(HsmErrorCode.HSM_OBJECT_NOT_FOUND, `pool ${rt.name} has no key object ${ref.objectId}`, {
    pool: rt.name,
    objectId: ref.objectId,
  });
}

function usable(rt: PoolRuntime, object: KeyObject | undefined, usage: keyof KeyUsage): KeyObject {
  if (!object || !object.usage[usage]) {
    throw new HsmError(HsmErrorCode.HSM_OPERATION_NOT_PERMITTED, `pool ${rt.name}: the key does not permit ${usage}`, { pool: rt.name, usage });
  }
  return object;
}

function outputSize(input: Buffer, key: KeyObjects): number {
  return input.length + OUTPUT_SLACK + (key.modulusBytes ?? 132);
}

function readPublicJwk(lib: pkcs11js.PKCS11, session: Buffer, publicKey: Buffer, request: GenerateKeyRequest): PublicKeyJwk {
  if (request.spec.kty === 'EC') {
    const [point] = lib.C_GetAttributeValue(session, publicKey, [{ type: pkcs11js.CKA_EC_POINT }]);
    return ecPublicJwk(request.spec.curve, point.value);
  }
  const [modulus, exponent] = lib.C_GetAttributeValue(session, publicKey, [{ type: pkcs11js.CKA_MODULUS }, { type: pkcs11js.CKA_PUBLIC_EXPONENT }]);
  return rsaPublicJwk(modulus.value, exponent.value);
}

function readBool(lib: pkcs11js.PKCS11, session: Buffer, handle: Buffer, type: number): boolean {
  try {
    const [attribute] = lib.C_GetAttributeValue(session, handle, [{ type }]);
    return attribute.value.length > 0 && attribute.value[0] === 1;
  } catch (error) {
    if (ckrName(error) === 'CKR_ATTRIBUTE_TYPE_INVALID') return false;
    throw error;
  }
}

/**
 * SoftHSM 2.6.1's file store answers CKR_GENERAL_ERROR (once seen: CKR_TEMPLATE_INCONSISTENT) now and then to a
 * generation that races its reload after another process created or destroyed objects on the same token (measured:
 * 8 concurrent generations right after another process's changes, about 1 in 30). Our templates are fixed and
 * generation has no caller input that could be invalid, so one retry on a fresh session is safe; a persistent
 * failure still surfaces.
 */
/** Fresh handles of the keys' private or secret objects; `missing` names the first key that has none. */
function keyHandles(rt: PoolRuntime, session: Buffer, objectIds: string[]): { handles: Buffer[]; missing?: string } {
  const handles: Buffer[] = [];
  for (const objectId of objectIds) {
    rt.cache.invalidate(objectId);
    const key = rt.cache.resolve(session, objectId)?.key;
    if (!key) return { handles, missing: objectId };
    handles.push(key.handle);
  }
  return { handles };
}

/**
 * After the security officer's logout and the user's login the private objects' handles are new. SoftHSM 2.6.1
 * sometimes does not list a private object in the first searches after a login while it reloads a token another
 * process has changed, so keys that were there before the logout are looked for a few times before giving up.
 */
async function findAgainAfterLogin(rt: PoolRuntime, session: Buffer, objectIds: string[]): Promise<Buffer[]> {
  for (let attempt = 1; ; attempt++) {
    const found = keyHandles(rt, session, objectIds);
    if (!found.missing) return found.handles;
    if (attempt === 5) throw notFound(rt, { pool: rt.name, objectId: found.missing });
    await sleep(20 * attempt);
  }
}

const GENERATION_RACE_CKRS = new Set(['CKR_GENERAL_ERROR', 'CKR_TEMPLATE_INCONSISTENT']);

async function retryGeneration<T>(generate: () => Promise<T>): Promise<T> {
  try {
    return await generate();
  } catch (error) {
    if (!GENERATION_RACE_CKRS.has(ckrName(error) ?? '')) throw error;
    await sleep(10);
    return generate();
  }
}

function logoutQuietly(lib: pkcs11js.PKCS11, session: Buffer): void {
  try {
    lib.C_Logout(session);
  } catch {
    // not logged in: nothing to undo
  }
}

/** Back to the user after security-officer steps; a pool whose user cannot log in again reports it in health(). */
function loginUser(rt: PoolRuntime, session: Buffer): void {
  try {
    rt.lib.C_Login(session, pkcs11js.CKU_USER, readSecret(rt.config.pin, `pool ${rt.name} PIN`));
  } catch (error) {
    if (ckrName(error) === 'CKR_USER_ALREADY_LOGGED_IN') return;
    throw new HsmError(HsmErrorCode.HSM_ERROR, `pool ${rt.name}: the user could not log in again after security-officer steps`, { pool: rt.name });
  } finally {
    rt.cache.clear();
  }
}

function destroyQuietly(lib: pkcs11js.PKCS11, session: Buffer, handle: Buffer): void {
  try {
    lib.C_DestroyObject(session, handle);
  } catch {
    // session objects die with their session anyway
  }
}
