import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as pkcs11js from 'pkcs11js';
import { HsmError, HsmErrorCode } from '../hsm.errors';
import { ckrName, sleep } from './ckr';

export interface ModuleSpec {
  path: string;
  libraryParameters?: string;
  environment: Record<string, string>;
}

export interface LoadedModule {
  readonly path: string;
  readonly lib: pkcs11js.PKCS11;
  readonly fingerprint: string;
  refs: number;
}

const INIT_ATTEMPTS = 5;
/** Seen when several processes start on one SoftHSM token directory at once; a re-initialisation clears them. */
const TRANSIENT = new Set(['CKR_GENERAL_ERROR', 'CKR_TOKEN_NOT_PRESENT', 'CKR_DEVICE_ERROR', 'CKR_FUNCTION_FAILED']);

/**
 * Loads and initialises each PKCS#11 library once per process. One library path is one dlopen handle and one
 * C_Initialize, so pools on the same library (SoftHSM pool-a and pool-b) share it and must agree on its
 * libraryParameters and environment.
 */
export class Pkcs11ModuleRegistry {
  private readonly modules = new Map<string, LoadedModule>();

  /** Returns the module and the slot of each token label. Re-initialises on transient errors only while unshared. */
  async acquire(spec: ModuleSpec, tokenLabels: string[]): Promise<{ module: LoadedModule; slots: Map<string, Buffer> }> {
    const fingerprint = JSON.stringify([spec.libraryParameters ?? null, Object.entries(spec.environment).sort()]);
    let module = this.modules.get(spec.path);
    if (module && module.fingerprint !== fingerprint) {
      throw new HsmError(
        HsmErrorCode.HSM_ERROR,
        `PKCS#11 library ${spec.path} is already loaded with other libraryParameters or environment; one library is initialised once per process`,
      );
    }
    if (!module) {
      module = { path: spec.path, lib: load(spec), fingerprint, refs: 0 };
      this.modules.set(spec.path, module);
    }
    const owner = module.refs === 0;
    module.refs++;
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          if (owner) initialize(module.lib, spec);
          return { module, slots: findSlots(module.lib, tokenLabels) };
        } catch (error) {
          const ckr = ckrName(error);
          const retry = attempt < INIT_ATTEMPTS && (ckr === undefined ? error instanceof TokenNotFound : TRANSIENT.has(ckr));
          if (!retry) throw error instanceof HsmError ? error : initError(spec.path, error);
          if (owner) finalizeQuietly(module.lib);
          await sleep(25 * attempt);
        }
      }
    } catch (error) {
      this.release(module);
      throw error;
    }
  }

  /** Finalises the library when its last pool lets go. */
  release(module: LoadedModule): void {
    module.refs--;
    if (module.refs > 0) return;
    this.modules.delete(module.path);
    finalizeQuietly(module.lib);
  }
}

class TokenNotFound extends Error {}

/**
 * The library reads its configuration (SOFTHSM2_CONF …) with getenv when it initialises. Assigning process.env
 * reaches getenv in a plain Node process, but Jest gives each test file a copy of process.env that does not;
 * process.loadEnvFile writes the real environment (without overriding a variable that is already set).
 */
function applyEnvironment(environment: Record<string, string>): void {
  const entries = Object.entries(environment);
  if (entries.length === 0) return;
  for (const [name, value] of entries) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) || /["\\\r\n]/.test(value)) {
      throw new HsmError(HsmErrorCode.HSM_ERROR, `pool environment variable ${JSON.stringify(name)} has an unusable name or value`);
    }
  }
  Object.assign(process.env, environment);
  const dir = mkdtempSync(join(tmpdir(), 'keybridge-env-'));
  try {
    const file = join(dir, 'pool.env');
    writeFileSync(file, entries.map(([name, value]) => `${name}="${value}"\n`).join(''), { mode: 0o600 });
    process.loadEnvFile(file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function load(spec: ModuleSpec): pkcs11js.PKCS11 {
  applyEnvironment(spec.environment);
  const lib = new pkcs11js.PKCS11();
  try {
    lib.load(spec.path);
  } catch {
    throw new HsmError(HsmErrorCode.HSM_ERROR, `cannot load PKCS#11 library ${spec.path}`);
  }
  return lib;
}

function initialize(lib: pkcs11js.PKCS11, spec: ModuleSpec): void {
  // CKF_OS_LOCKING_OK is not optional: without it SoftHSM turns its mutexes off and concurrent *Async calls
  // (run on libuv threads) crash the process.
  const options: pkcs11js.InitializationOptions = { flags: pkcs11js.CKF_OS_LOCKING_OK };
  if (spec.libraryParameters !== undefined) options.libraryParameters = spec.libraryParameters;
  try {
    lib.C_Initialize(options);
  } catch (error) {
    // Jest loads this file once per test file in one process; the library itself stays initialised.
    if (ckrName(error) !== 'CKR_CRYPTOKI_ALREADY_INITIALIZED') throw error;
  }
}

function findSlots(lib: pkcs11js.PKCS11, labels: string[]): Map<string, Buffer> {
  const byLabel = new Map<string, Buffer[]>();
  for (const slot of lib.C_GetSlotList(true)) {
    const label = lib.C_GetTokenInfo(slot).label.trim();
    byLabel.set(label, [...(byLabel.get(label) ?? []), slot]);
  }
  const slots = new Map<string, Buffer>();
  for (const label of labels) {
    const found = byLabel.get(label) ?? [];
    if (found.length === 0) throw new TokenNotFound(`no token labelled "${label}"`);
    if (found.length > 1) throw new HsmError(HsmErrorCode.HSM_ERROR, `${found.length} tokens are labelled "${label}"; labels must be unique`);
    slots.set(label, found[0]);
  }
  return slots;
}

function finalizeQuietly(lib: pkcs11js.PKCS11): void {
  try {
    lib.C_Finalize();
  } catch {
    // already finalised: nothing left to release
  }
}

function initError(path: string, error: unknown): HsmError {
  const ckr = ckrName(error);
  if (error instanceof TokenNotFound) return new HsmError(HsmErrorCode.HSM_ERROR, `${path}: ${error.message}`);
  return new HsmError(HsmErrorCode.HSM_ERROR, `cannot initialise PKCS#11 library ${path} (${ckr ?? 'not a PKCS#11 error'})`, {
    ckr: ckr ?? 'none',
  });
}

/** One per process (per Jest module registry). */
export const MODULE_REGISTRY = new Pkcs11ModuleRegistry();
