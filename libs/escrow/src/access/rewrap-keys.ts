import { Injectable } from '@nestjs/common';
import { Caller, Permission } from '@keybridge/auth';
import { HsmError, HsmErrorCode } from '@keybridge/hsm';
import { KeyError, KeyErrorCode, KeyGate, KeyLocator, KeyOp, KeyTarget, OpenedKey, VaultAccess } from '@keybridge/keys';
import { AuditMeta } from '@keybridge/ledger';
import { EscrowError, EscrowErrorCode } from '../escrow.errors';
import { RewrapSelector, RewrapTarget } from '../model/rewrap-job';
import { assertWrappingKey } from '../model/wrapping';

export interface OpenedRewrapKeys {
  /** Source versions by number. */
  sources: Map<number, OpenedKey>;
  target: OpenedKey;
}

/**
 * The key rules of a re-wrap, applied through KeyGate with permission manageJobs: every source version must allow
 * unwrapKey, the target version wrapKey (enabled, key_ops, nbf/exp, minimum version). Used when a job starts, when
 * it resumes, and by the worker each time it claims a range (acting as the job's creator).
 */
@Injectable()
export class RewrapKeys {
  constructor(
    private readonly gate: KeyGate,
    private readonly access: VaultAccess,
    private readonly locator: KeyLocator,
  ) {}

  /**
   * KeyGate.open for a key that wraps data keys: an EC key is refused with WRAPPING_KEY_TYPE_INVALID (checked after
   * the permission, so a caller without access learns nothing about the key) before the gate's key_ops rules.
   */
  async openWrapping(caller: Caller, target: KeyTarget, op: KeyOp, meta: AuditMeta, permission: Permission): Promise<OpenedKey> {
    const vault = await this.access.authorize(caller.principal, target.vault, permission);
    assertWrappingKey((await this.locator.key(vault, target.name)).spec);
    return this.gate.open(caller, target, op, meta, permission);
  }

  async open(
    caller: Caller,
    source: Pick<RewrapSelector, 'vault' | 'key' | 'fromVersions'> & { keyId?: string },
    target: { vault: string; key: string; version: string | null; keyId?: string },
  ): Promise<OpenedRewrapKeys> {
    const sources = new Map<number, OpenedKey>();
    for (const version of source.fromVersions) {
      const target = { vault: source.vault, name: source.key, version: String(version) };
      const opened = await this.openWrapping(caller, target, KeyOp.unwrapKey, scratch(caller), Permission.manageJobs);
      if (source.keyId && opened.key.id !== source.keyId) throw replaced(source.key);
      sources.set(version, opened);
    }
    const opened = await this.openWrapping(caller, { vault: target.vault, name: target.key, version: target.version }, KeyOp.wrapKey, scratch(caller), Permission.manageJobs);
    if (target.keyId && opened.key.id !== target.keyId) throw replaced(target.key);
    const first = sources.values().next().value;
    if (first && first.key.id === opened.key.id && sources.has(opened.version.version)) {
      throw new EscrowError(EscrowErrorCode.REWRAP_TARGET_IS_SOURCE, `version ${opened.version.version} of ${target.key} is both source and target`);
    }
    if (first) assertSamePool(first, opened);
    return { sources, target: opened };
  }
}

/**
 * A data key moves between pools only through a key both pools hold; none is provisioned (docs/escrow.md), so a
 * cross-pool re-wrap is refused up front rather than taking the data key through the process in plaintext.
 */
export function assertSamePool(source: OpenedKey, target: OpenedKey): void {
  if (source.version.pool !== target.version.pool) {
    throw new HsmError(
      HsmErrorCode.UNSUPPORTED_BY_HSM,
      `pool ${source.version.pool}: cannot rewrap to a key in pool ${target.version.pool} (no transfer key between the pools; see docs/escrow.md)`,
      { pool: source.version.pool },
    );
  }
}

/** The gate records the version it resolved into the meta; these checks have their own ledger entries. */
function scratch(caller: Caller): AuditMeta {
  return { ctx: caller, operation: 'rewrapCheck', vault: null };
}

function replaced(name: string): KeyError {
  return new KeyError(KeyErrorCode.KEY_NOT_FOUND, `key ${name} was purged and replaced since the job started`);
}

export function targetOf(opened: OpenedKey, algorithm: RewrapTarget['algorithm']): RewrapTarget {
  return {
    vaultId: opened.key.vaultId,
    vault: opened.key.vaultName,
    keyId: opened.key.id,
    key: opened.key.name,
    version: opened.version.version,
    algorithm,
  };
}
