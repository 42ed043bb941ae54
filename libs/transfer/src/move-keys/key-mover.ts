import { randomBytes } from 'node:crypto';
import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { FULL_USAGE, GeneratedKey, HSM_PORT, HsmError, HsmKeyRef, HsmPort, KeySpec, KeyUsage, negotiateOaepHash, OaepHash, PublicKeyJwk, RsaBits, samePublicKey } from '@keybridge/hsm';
import { TransferError, TransferErrorCode } from '../transfer.errors';

const TRANSPORT_KEY_TTL_MS = 5 * 60_000;
const TRANSPORT_KEY_GRACE_MS = 60_000;
const UNWRAP_ONLY: KeyUsage = { encrypt: false, decrypt: false, wrap: false, unwrap: true, sign: false, verify: false };

export interface SourceVersion {
  version: number;
  ref: HsmKeyRef;
  /** RSA/EC: the source's public key, which the moved key must have. */
  publicJwk: PublicKeyJwk | null;
}

export interface MoveRequest {
  sourcePool: string;
  targetPool: string;
  spec: KeySpec;
  exportable: boolean;
  versions: SourceVersion[];
  /** CKA_LABEL of each new object, e.g. `${vault}/${name}/${version}`. */
  label: (version: number) => string;
  /** Called once, before the source pool's security officer logs in (the ledger entry for that use). */
  beforeSecurityOfficer: () => Promise<void>;
}

export interface MovedVersion {
  version: number;
  ref: HsmKeyRef;
  publicJwk: PublicKeyJwk | null;
  /** AES: hex of the first 3 bytes of AES-ECB(0^128) — the traditional key check value, equal in both pools. */
  checkValue: string | null;
}

export interface MoveResult {
  moved: MovedVersion[];
  oaepHash: OaepHash;
  securityOfficerUsed: boolean;
}

/**
 * Moves key versions from one pool into another HSM to HSM: a transport key (RSA, unwrap only) is made in the target
 * pool, the source wraps every version under an ephemeral key only that transport key can unwrap (exportKeys), the
 * target unwraps each straight into a token object (importWrappedKey), and each new object is proven to be the same
 * key (AES: full check block; RSA/EC: the public key, EC also by a test signature inside the import) before the
 * result is returned. On any failure every new object is destroyed.
 */
@Injectable()
export class KeyMover implements OnModuleDestroy {
  /**
   * One transport key per target pool, reused for TRANSPORT_KEY_TTL_MS by this process: making an RSA-3072 pair costs
   * ten times more than moving an AES key. It never leaves the process's sessions (unwrap only, never exportable),
   * is replaced when it expires or fails, and destroyed at shutdown; a killed process leaves it labelled.
   */
  private readonly transports = new Map<string, { key: Promise<GeneratedKey>; expiresAt: number }>();

  constructor(@Inject(HSM_PORT) private readonly hsm: HsmPort) {}

  async onModuleDestroy(): Promise<void> {
    const held = [...this.transports.values()];
    this.transports.clear();
    for (const { key } of held) await this.retire(key);
  }

  /** Typed refusals for what the pools' capabilities already rule out, before anything is made. */
  plan(sourcePool: string, targetPool: string, spec: KeySpec, exportable: boolean): { oaepHash: OaepHash } {
    const source = this.pool(sourcePool);
    const target = this.pool(targetPool);
    const oaepHash = negotiateOaepHash(source.capabilities, target.capabilities);
    if (!oaepHash) throw notPossible(`pools ${sourcePool} and ${targetPool} share no RSA-OAEP hash`);
    const caps = target.capabilities;
    const fits = spec.kty === 'RSA' ? caps.rsaBits.includes(spec.bits) : spec.kty === 'EC' ? caps.curves.includes(spec.curve) : caps.aesBits.includes(spec.bits);
    if (!fits) throw notPossible(`pool ${targetPool} cannot hold ${spec.kty === 'EC' ? `EC ${spec.curve}` : `${spec.kty} ${spec.bits}`} keys`);
    if (exportable && target.exportPolicy === 'refused') throw notPossible(`pool ${targetPool} cannot hold exportable keys (its HSM does not enforce CKA_WRAP_WITH_TRUSTED)`);
    if (!caps.rsaBits.length) throw notPossible(`pool ${targetPool} cannot make an RSA transport key`);
    return { oaepHash };
  }

  /** RSA, unwrap only, never exportable; labelled so that one left by a killed process can be found. */
  private async makeTransportKey(targetPool: string): Promise<GeneratedKey> {
    const caps = this.pool(targetPool).capabilities;
    const bits = ([3072, 4096, 2048] as RsaBits[]).find((b) => caps.rsaBits.includes(b));
    if (!bits) throw notPossible(`pool ${targetPool} cannot make an RSA transport key`);
    return this.hsm.generateKey({
      pool: targetPool,
      objectId: newObjectId(),
      label: 'keybridge/transfer-transport-key',
      spec: { kty: 'RSA', bits },
      usage: UNWRAP_ONLY,
      exportable: false,
    });
  }

  async move(request: MoveRequest): Promise<MoveResult> {
    const { oaepHash } = this.plan(request.sourcePool, request.targetPool, request.spec, request.exportable);
    const transportKey = this.transportFor(request.targetPool);
    const transport = await transportKey;
    const moved: MovedVersion[] = [];
    try {
      if (this.pool(request.sourcePool).exportPolicy === 'trusted') await request.beforeSecurityOfficer();
      const exported = await this.hsm.exportKeys({
        pool: request.sourcePool,
        keys: request.versions.map((v) => v.ref),
        recipient: transport.publicJwk as PublicKeyJwk,
        oaepHash,
      });
      for (const [i, source] of request.versions.entries()) {
        const imported: GeneratedKey = await this.hsm.importWrappedKey({
          pool: request.targetPool,
          transportKey: transport.ref,
          oaepHash,
          blob: Buffer.concat([exported.wrappedEphemeral, exported.wrappedKeys[i]]),
          target: {
            objectId: newObjectId(),
            label: request.label(source.version),
            spec: request.spec,
            usage: FULL_USAGE[request.spec.kty],
            exportable: request.exportable,
            publicJwk: source.publicJwk ?? undefined,
          },
        });
        const entry: MovedVersion = { version: source.version, ref: imported.ref, publicJwk: imported.publicJwk ?? null, checkValue: null };
        moved.push(entry);
        entry.checkValue = await this.proveSame(source, entry);
      }
      return { moved, oaepHash, securityOfficerUsed: exported.securityOfficerUsed };
    } catch (error) {
      await this.destroy(moved.map((m) => m.ref));
      if (error instanceof HsmError && this.transports.get(request.targetPool)?.key === transportKey) {
        // The transport key itself may be what failed (gone from the token): the next move makes a new one.
        this.transports.delete(request.targetPool);
        await this.retire(transportKey);
      }
      throw error;
    }
  }

  private transportFor(pool: string): Promise<GeneratedKey> {
    const now = Date.now();
    const held = this.transports.get(pool);
    if (held && held.expiresAt > now) return held.key;
    if (held) {
      // Moves that took it still use it: destroy it once they had time to finish.
      setTimeout(() => void this.retire(held.key), TRANSPORT_KEY_GRACE_MS).unref();
    }
    const key = this.makeTransportKey(pool);
    key.catch(() => this.transports.get(pool)?.key === key && this.transports.delete(pool));
    this.transports.set(pool, { key, expiresAt: now + TRANSPORT_KEY_TTL_MS });
    return key;
  }

  private async retire(key: Promise<GeneratedKey>): Promise<void> {
    const made = await key.catch(() => undefined);
    if (made) await this.hsm.destroyKey(made.ref).catch(() => undefined);
  }

  async destroy(refs: HsmKeyRef[]): Promise<void> {
    for (const ref of refs) await this.hsm.destroyKey(ref).catch(() => undefined);
  }

  private async proveSame(source: SourceVersion, target: MovedVersion): Promise<string | null> {
    if (source.publicJwk) {
      if (!target.publicJwk || !samePublicKey(source.publicJwk, target.publicJwk)) throw mismatch(source.version, 'public key');
      return null;
    }
    const [a, b] = await Promise.all([this.hsm.keyCheckValue(source.ref), this.hsm.keyCheckValue(target.ref)]);
    if (!a.equals(b)) throw mismatch(source.version, 'key check value');
    return a.subarray(0, 3).toString('hex');
  }

  private pool(name: string) {
    const info = this.hsm.pools().find((p) => p.name === name);
    if (!info) throw notPossible(`no HSM pool named ${name}`);
    return info;
  }
}


function newObjectId(): string {
  return randomBytes(16).toString('hex');
}

function notPossible(message: string): TransferError {
  return new TransferError(TransferErrorCode.TRANSFER_NOT_POSSIBLE, message);
}

function mismatch(version: number, what: string): TransferError {
  return new TransferError(TransferErrorCode.TRANSFER_VERIFICATION_FAILED, `version ${version}: the moved key's ${what} differs from the source's; nothing was kept`, { version });
}
