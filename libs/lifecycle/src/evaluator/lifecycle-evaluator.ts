import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { InjectDataSource } from '@nestjs/typeorm';
import { callerContext, PrincipalRepository } from '@keybridge/auth';
import { StartRewrapJobCommand } from '@keybridge/escrow';
import { EventRecorder, KeyEventInput, KeyEventKind } from '@keybridge/events';
import { KeyRotator, KeyView } from '@keybridge/keys';
import { AuditTrail } from '@keybridge/ledger';
import { Clock, RequestContext } from '@keybridge/platform';
import { DataSource } from 'typeorm';
import { addDuration } from '../policy/iso-duration';
import { ParsedPolicy, parseRotationPolicy } from '../policy/rotation-policy';
import { PolicyTarget, RotationPolicyRepository } from '../policy/rotation-policy.repository';

const SCHEDULER = 'lifecycle-scheduler';

/**
 * The time policies are judged by: the platform clock, except in tests that move it — without moving the ledger's
 * clock, whose recorded_at is monotonic across every process.
 */
export const LIFECYCLE_CLOCK = Symbol('LIFECYCLE_CLOCK');
const EXPIRED_PER_TICK = 500;

export interface TickSummary {
  rotated: number;
  notified: number;
  expired: number;
  transportKeysExpired: number;
  rewrapJobs: number;
}

/**
 * One pass over every rotation policy and expiry, safe to run in every worker at once: a rotation re-checks under
 * the key's row lock that the version it judged is still the latest (only one worker rotates), and each event is
 * stored once per dedupe key (only one worker emits it). Time comes from the injected Clock, so tests can move it.
 */
@Injectable()
export class LifecycleEvaluator {
  private readonly logger = new Logger(LifecycleEvaluator.name);

  constructor(
    private readonly policies: RotationPolicyRepository,
    private readonly rotator: KeyRotator,
    private readonly events: EventRecorder,
    private readonly principals: PrincipalRepository,
    private readonly commands: CommandBus,
    private readonly audit: AuditTrail,
    @Inject(LIFECYCLE_CLOCK) private readonly clock: Clock,
    @InjectDataSource() private readonly db: DataSource,
  ) {}

  /** `vaults`: only keys of these vaults (an operator's targeted run, or a test's); every vault by default. */
  async tick(vaults: string[] | null = null): Promise<TickSummary> {
    const summary: TickSummary = { rotated: 0, notified: 0, expired: 0, transportKeysExpired: 0, rewrapJobs: 0 };
    const now = this.clock.now();
    for (const target of await this.policies.targets(vaults)) {
      try {
        await this.evaluate(target, now, summary);
      } catch (error) {
        this.logger.warn(`rotation policy of /vaults/${target.vault}/keys/${target.name}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    for (const v of await this.policies.expiredWithoutEvent(now, EXPIRED_PER_TICK, vaults)) {
      const fired = await this.emit({
        kind: KeyEventKind.KeyExpired,
        vault: v.vault,
        keyName: v.name,
        keyVersion: v.version,
        dedupeKey: `KeyExpired:${v.keyId}:${v.version}`,
        data: { exp: v.exp.toISOString() },
        principalId: null,
        requestId: null,
      });
      if (fired) summary.expired++;
    }
    for (const t of await this.policies.expiredTransportKeys(now, EXPIRED_PER_TICK, vaults)) {
      const fired = await this.emit({
        kind: KeyEventKind.TransportKeyExpired,
        vault: t.vault,
        keyName: null,
        keyVersion: null,
        dedupeKey: `TransportKeyExpired:${t.id}`,
        data: { transportKeyId: t.id, expiresAt: t.expiresAt.toISOString() },
        principalId: null,
        requestId: null,
      });
      if (fired) summary.transportKeysExpired++;
    }
    return summary;
  }

  private async evaluate(target: PolicyTarget, now: Date, summary: TickSummary): Promise<void> {
    const policy = parseRotationPolicy(target.policy);
    const rotate = policy.actions.find((a) => a.action === 'rotate');
    const notify = policy.actions.find((a) => a.action === 'notify');
    const expiresSoon = (before: NonNullable<ParsedPolicy['actions'][number]['before']>): boolean =>
      target.latestExp !== null && addDuration(target.latestExp, before, -1) <= now;
    if (notify?.before && expiresSoon(notify.before)) {
      const fired = await this.emit({
        kind: KeyEventKind.KeyNearExpiry,
        vault: target.vault,
        keyName: target.name,
        keyVersion: target.latestVersion,
        dedupeKey: `KeyNearExpiry:${target.policy.keyId}:${target.latestVersion}`,
        data: { exp: target.latestExp?.toISOString() ?? null, timeBeforeExpiry: notify.before.text },
        principalId: null,
        requestId: null,
      });
      if (fired) summary.notified++;
    }
    const due = rotate && ((rotate.after && addDuration(target.latestCreatedAt, rotate.after) <= now) || (rotate.before && expiresSoon(rotate.before)));
    if (!due) return;
    // One worker rotates: the others skip the key while it holds the lock, and the latest version is re-read under
    // the lock, so a worker whose list is older than someone else's rotation does not rotate again.
    const rotated = await this.withKeyLock(target.policy.keyId, async () => {
      if ((await this.policies.latestVersion(target.policy.keyId)) !== target.latestVersion) return undefined;
      return this.rotate(target, policy, now);
    });
    if (!rotated) return;
    summary.rotated++;
    if (policy.rewrapEscrow && (await this.startRewrap(target, rotated.version))) summary.rewrapJobs++;
  }

  private async rotate(target: PolicyTarget, policy: ParsedPolicy, now: Date): Promise<KeyView | undefined> {
    const ctx: RequestContext = { principalId: SCHEDULER, requestId: `lifecycle-${randomUUID()}` };
    const meta = { ctx, operation: 'rotateKey', vault: target.vault, keyName: target.name, keyVersion: null as number | null, details: { reason: 'policy' } };
    return this.audit.runCommitting(meta, (commit) =>
      this.rotator.rotate(
        {
          ctx,
          vault: { id: target.vaultId, name: target.vault, pool: target.pool, createdAt: now },
          name: target.name,
          exp: policy.expiry ? addDuration(now, policy.expiry) : null,
          reason: 'policy',
          now,
          commit,
          stillDue: (latest) => latest === target.latestVersion,
          onVersion: (version) => (meta.keyVersion = version),
        },
        { latestVersion: target.latestVersion, spec: target.spec, exportable: target.exportable },
      ),
    );
  }

  /** Runs fn while this process holds the key's rotation lock (a session advisory lock); undefined when another does. */
  private async withKeyLock<T>(keyId: string, fn: () => Promise<T | undefined>): Promise<T | undefined> {
    const runner = this.db.createQueryRunner();
    await runner.connect();
    try {
      const [{ locked }] = (await runner.query("SELECT pg_try_advisory_lock(hashtext('keybridge.rotate:' || $1)) AS locked", [keyId])) as Array<{ locked: boolean }>;
      if (!locked) return undefined;
      try {
        return await fn();
      } finally {
        await runner.query("SELECT pg_advisory_unlock(hashtext('keybridge.rotate:' || $1))", [keyId]);
      }
    } finally {
      await runner.release();
    }
  }

  /** Moves the key's escrow records below the new version to it, as the principal who set the policy. */
  private async startRewrap(target: PolicyTarget, version: number): Promise<boolean> {
    const principal = await this.principals.findById(target.policy.setBy);
    if (!principal) {
      this.logger.warn(`rotation policy of /vaults/${target.vault}/keys/${target.name}: its author no longer exists; no escrow re-wrap`);
      return false;
    }
    try {
      await this.commands.execute(
        new StartRewrapJobCommand(callerContext(principal, `lifecycle-rewrap-${randomUUID()}`), { vault: target.vault, key: target.name, allBelowVersion: version }, { vault: target.vault, key: target.name, version: String(version) }, 1000, null),
      );
      return true;
    } catch (error) {
      // Recorded in the ledger by the command itself (e.g. no records to move, or the author lost a permission).
      this.logger.warn(`escrow re-wrap after rotating /vaults/${target.vault}/keys/${target.name}: ${error instanceof Error ? error.message : String(error)}`);
      return false;
    }
  }

  private emit(event: KeyEventInput): Promise<boolean> {
    return this.db.transaction(async (manager) => (await this.events.record(manager, event)) !== undefined);
  }
}
