import { Injectable } from '@nestjs/common';
import { KeyError, KeyErrorCode, KeyRecord, KeyRepository, KeyVersionRecord, keyView, Vault } from '@keybridge/keys';
import { LedgerWriter, TransactionCommit } from '@keybridge/ledger';
import { Clock, RequestContext } from '@keybridge/platform';
import { KeyMover } from '../move-keys/key-mover';
import { KeyTransferRepository } from '../persistence/key-transfer.repository';
import { SecurityOfficerUse } from '../security-domain/security-officer-use';
import { TransferError, TransferErrorCode } from '../transfer.errors';
import { TransferKeyResult, TransferMode } from './transfer-key.command';

export interface VaultKeyTransferRequest {
  ctx: RequestContext;
  source: Vault;
  key: KeyRecord;
  /** Oldest first. */
  versions: KeyVersionRecord[];
  target: Vault;
  targetName: string;
  mode: TransferMode;
  /** From AuditTrail.runCommitting of the caller's source-vault entry. */
  commit: TransactionCommit;
}

/**
 * One key's transfer between vaults, shared by transferKey and whole-vault migration jobs: the HSM-to-HSM move
 * (KeyMover), then one transaction with the target key's rows, its ledger entry on the target vault, the lineage
 * record, the source versions disabled in move mode, and the caller's own entry on the source vault (commit).
 * If that transaction fails, the new HSM objects are destroyed and the source is untouched.
 */
@Injectable()
export class VaultKeyTransfer {
  constructor(
    private readonly keys: KeyRepository,
    private readonly mover: KeyMover,
    private readonly transfers: KeyTransferRepository,
    private readonly ledger: LedgerWriter,
    private readonly securityOfficer: SecurityOfficerUse,
    private readonly clock: Clock,
  ) {}

  /** Typed refusals that need no HSM work: call before anything else is done. */
  check(source: Vault, key: KeyRecord, target: Vault, targetName: string): void {
    if (!key.exportable) {
      throw new TransferError(
        TransferErrorCode.KEY_NOT_EXPORTABLE,
        `key ${key.name} was created non-exportable: it can never leave its HSM (create or import keys with exportable: true to transfer them)`,
      );
    }
    if (source.id === target.id && key.name === targetName) throw new KeyError(KeyErrorCode.INVALID_ARGUMENT, 'the target is the key itself', { field: 'targetName' });
    this.mover.plan(source.pool, target.pool, key.spec, key.exportable);
  }

  async transfer(r: VaultKeyTransferRequest): Promise<TransferKeyResult> {
    const { ctx, source, key, target, targetName } = r;
    this.check(source, key, target, targetName);
    if (await this.keys.find(target.id, targetName, 'any')) throw alreadyExists(target.name, targetName);
    const result = await this.mover.move({
      sourcePool: source.pool,
      targetPool: target.pool,
      spec: key.spec,
      exportable: key.exportable,
      versions: r.versions.map((v) => ({ version: v.version, ref: { pool: v.pool, objectId: v.hsmObjectId }, publicJwk: v.publicJwk })),
      label: (version) => `${target.name}/${targetName}/${version}`,
      beforeSecurityOfficer: () =>
        this.securityOfficer.record(ctx, { pool: source.pool, vault: source.name, keyName: key.name, purpose: 'transferKey', details: { targetVault: target.name } }),
    });
    const versionNumbers = r.versions.map((v) => v.version);
    try {
      return await r.commit(async (manager) => {
        const now = this.clock.now();
        const keyId = await this.keys.insertKey(manager, {
          vaultId: target.id,
          name: targetName,
          spec: key.spec,
          keyOps: key.keyOps,
          tags: key.tags,
          exportable: key.exportable,
          now,
        });
        if (!keyId) throw alreadyExists(target.name, targetName);
        for (const [i, v] of r.versions.entries()) {
          const moved = result.moved[i];
          await this.keys.insertVersion(manager, {
            keyId,
            version: v.version,
            pool: target.pool,
            hsmObjectId: moved.ref.objectId,
            enabled: v.enabled,
            nbf: v.nbf,
            exp: v.exp,
            origin: 'transfer',
            publicJwk: moved.publicJwk,
            now,
          });
        }
        if (key.minDecryptVersion > 1) await this.keys.setMinDecryptVersion(manager, keyId, key.minDecryptVersion, now);
        if (r.mode === 'move') for (const v of versionNumbers) await this.keys.updateVersion(manager, key.id, v, { enabled: false }, now);
        const [receipt] = await this.ledger.appendWithin(manager, [
          {
            principalId: ctx.principalId,
            vault: target.name,
            keyName: targetName,
            keyVersion: Math.max(...versionNumbers),
            operation: 'transferKeyIn',
            outcome: 'success',
            errorCode: null,
            requestId: ctx.requestId,
            traceId: ctx.traceId ?? null,
            paramsDigest: null,
            details: { sourceVault: source.name, sourceName: key.name, versions: versionNumbers.join(','), mode: r.mode, oaepHash: result.oaepHash },
          },
        ]);
        await this.transfers.insert(manager, {
          kind: 'transfer',
          sourceVault: source.name,
          sourceName: key.name,
          targetVault: target.name,
          targetName,
          versions: versionNumbers,
          mode: r.mode,
          principalId: ctx.principalId,
          ledgerQueueId: receipt.queueId,
          now,
        });
        const stored = await this.keys.find(target.id, targetName, 'live', manager);
        const latest = stored && (await this.keys.version(stored.id, stored.latestVersion, manager));
        if (!stored || !latest) throw new Error('transferred key not readable in its own transaction');
        return {
          source: `/vaults/${source.name}/keys/${key.name}`,
          target: keyView(stored, latest),
          mode: r.mode,
          versions: result.moved.map((m) => ({ version: m.version, checkValue: m.checkValue })),
          oaepHash: result.oaepHash,
          securityOfficerUsed: result.securityOfficerUsed,
        };
      });
    } catch (error) {
      await this.mover.destroy(result.moved.map((m) => m.ref));
      throw error;
    }
  }
}

function alreadyExists(vault: string, name: string): KeyError {
  return new KeyError(KeyErrorCode.KEY_ALREADY_EXISTS, `vault ${vault} already has a key named ${name} (live or soft-deleted)`, { field: 'targetName' });
}
