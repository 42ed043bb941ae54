import { currentTraceParent } from '@keybridge/telemetry';
import { randomUUID } from 'node:crypto';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { Permission } from '@keybridge/auth';
import { invalidArgument, KeyRecord, KeyRepository, VaultAccess } from '@keybridge/keys';
import { AuditMeta, AuditTrail, LedgerWriter } from '@keybridge/ledger';
import { Clock } from '@keybridge/platform';
import { MigrationJobRepository } from '../migration/migration-job.repository';
import { VaultMigrationView, vaultMigrationView } from '../migration/migration-job.view';
import { MigrationQueue } from '../migration/migration-queue';
import { VaultKeyTransfer } from '../transfer-key/vault-key-transfer';
import { StartVaultMigrationCommand } from './start-vault-migration.command';

const PAGE = 500;
const MAX_KEYS = 100_000;

/**
 * The key list is a snapshot taken in the job's transaction (keys created later are not part of the job). Keys the
 * two pools cannot move (non-exportable, a type the target cannot hold) are items 'skipped' with the reason, so the
 * job's outcome lists every key of the vault. The queue is kicked after commit.
 */
@CommandHandler(StartVaultMigrationCommand)
export class StartVaultMigrationHandler implements ICommandHandler<StartVaultMigrationCommand> {
  constructor(
    private readonly access: VaultAccess,
    private readonly keys: KeyRepository,
    private readonly transfer: VaultKeyTransfer,
    private readonly jobs: MigrationJobRepository,
    private readonly queue: MigrationQueue,
    private readonly ledger: LedgerWriter,
    private readonly audit: AuditTrail,
    private readonly clock: Clock,
  ) {}

  async execute({ caller, input }: StartVaultMigrationCommand): Promise<VaultMigrationView> {
    const meta: AuditMeta = {
      ctx: caller,
      operation: 'startVaultMigration',
      vault: input.sourceVault,
      details: { targetVault: String(input.targetVault).slice(0, 64), mode: String(input.mode ?? 'copy').slice(0, 8) },
    };
    const id = randomUUID();
    const view = await this.audit.runCommitting(meta, async (commit) => {
      const source = await this.access.authorize(caller.principal, input.sourceVault, Permission.transfer);
      await this.access.authorize(caller.principal, input.sourceVault, Permission.manageJobs);
      const target = await this.access.authorize(caller.principal, input.targetVault, Permission.import);
      if (source.id === target.id) throw invalidArgument('the target vault is the source vault', 'targetVault');
      const mode = input.mode ?? 'copy';
      if (mode !== 'copy' && mode !== 'move') throw invalidArgument('mode must be copy or move', 'mode');
      const items = (await this.liveKeys(source.id)).map((key) => {
        try {
          this.transfer.check(source, key, target, key.name);
          return { keyName: key.name, state: 'pending' as const, errorCode: null, errorMessage: null };
        } catch (error) {
          const { code, message } = error as { code?: string; message: string };
          return { keyName: key.name, state: 'skipped' as const, errorCode: code ?? 'INTERNAL', errorMessage: message.slice(0, 500) };
        }
      });
      return commit(async (manager) => {
        const now = this.clock.now();
        await this.jobs.insert(manager, { id, sourceVaultId: source.id, targetVaultId: target.id, mode, queue: this.queue.name, principalId: caller.principalId, requestId: caller.requestId, traceParent: currentTraceParent(), now }, items);
        meta.details = { ...meta.details, jobId: id, keys: items.length, skipped: items.filter((i) => i.state === 'skipped').length };
        await this.ledger.appendWithin(manager, [
          {
            principalId: caller.principalId,
            vault: target.name,
            keyName: null,
            keyVersion: null,
            operation: 'vaultMigrationIn',
            outcome: 'success',
            errorCode: null,
            requestId: caller.requestId,
            traceId: caller.traceId ?? null,
            paramsDigest: null,
            details: { jobId: id, sourceVault: source.name, keys: items.length },
          },
        ]);
        const job = await this.jobs.find(id, manager);
        if (!job) throw new Error('migration job not readable in its own transaction');
        return vaultMigrationView(job);
      });
    });
    await this.queue.kick(id, 0);
    return view;
  }

  private async liveKeys(vaultId: string): Promise<KeyRecord[]> {
    const all: KeyRecord[] = [];
    for (let page = await this.keys.page(vaultId, 'live', null, PAGE); page.length > 0; page = await this.keys.page(vaultId, 'live', page[page.length - 1].name, PAGE)) {
      all.push(...page);
      if (all.length > MAX_KEYS) throw invalidArgument(`a migration moves at most ${MAX_KEYS} keys`, 'sourceVault');
    }
    return all;
  }
}
