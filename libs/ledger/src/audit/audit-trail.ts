import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { asOverload, DomainError, OverloadError, RequestContext } from '@keybridge/platform';
import { measureOperation } from '@keybridge/telemetry';
import { LedgerEntryInput } from '../ledger-entry';
import { LedgerError, LedgerErrorCode } from '../ledger.errors';
import { LedgerWriter } from '../append/ledger-writer';
import { LedgerIntegrator } from '../integrate/ledger-integrator';
import canonicalize from 'canonicalize';
import { DataSource, EntityManager } from 'typeorm';

type Scalar = string | number | boolean | null;

/** `work` and the success entry in one transaction. */
export type TransactionCommit = <R>(work: (manager: EntityManager) => Promise<R>) => Promise<R>;

/** How a state change commits together with its success entry. */
export interface Commit extends TransactionCommit {
  /**
   * For writers that commit a state change and the given success entry atomically by themselves — a group commit
   * that writes many callers' rows and entries in one statement (escrow records). Resolves once both are durable.
   */
  withEntry<R>(write: (success: LedgerEntryInput) => Promise<R>): Promise<R>;
}

/** What the ledger says about one access. `params` is digested; `details` is stored as is — neither may hold secrets. */
export interface AuditMeta {
  ctx: RequestContext;
  operation: string;
  vault: string | null;
  keyName?: string | null;
  keyVersion?: number | null;
  params?: Record<string, Scalar>;
  details?: Record<string, Scalar>;
}

/**
 * Runs an operation so that its ledger entry — success, denial or failure — is committed before any result or
 * error leaves. If the entry cannot be committed, the caller gets LEDGER_UNAVAILABLE instead of the result.
 */
@Injectable()
export class AuditTrail {
  constructor(
    private readonly ledger: LedgerWriter,
    private readonly integrator: LedgerIntegrator,
    @InjectDataSource() private readonly db: DataSource,
  ) {}

  run<T>(meta: AuditMeta, body: () => Promise<T>): Promise<T> {
    return this.runCommitting(meta, () => body());
  }

  /** For state changes: the success entry commits in the same transaction as the state. */
  runInTransaction<T>(meta: AuditMeta, body: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.runCommitting(meta, (commit) => commit(body));
  }

  /**
   * For operations that do slow work (an HSM key generation) before their state change: `commit` runs the state
   * change and the success entry in one transaction. If the body never calls it, success is appended at the end.
   */
  runCommitting<T>(meta: AuditMeta, body: (commit: Commit) => Promise<T>): Promise<T> {
    return measureOperation(meta.operation, outcomeOf, () => this.record(meta, body));
  }

  /**
   * Batch operations: one entry per item — success, or the item's own denial or failure — appended together (the
   * writer group-commits them in one statement). Per item: undefined once its entry committed, or the error that must
   * replace its result (fail closed item by item: a result leaves only with its entry).
   */
  async recordEach(items: Array<{ meta: AuditMeta; error?: unknown }>): Promise<Array<Error | undefined>> {
    return Promise.all(
      items.map(async ({ meta, error }) => {
        const outcome = error === undefined ? 'success' : outcomeOf(error);
        const code = error === undefined ? null : error instanceof DomainError ? error.code : 'INTERNAL';
        try {
          await this.ledger.append(entry(meta, outcome, code));
          return undefined;
        } catch (ledgerError) {
          return ledgerError instanceof Error ? ledgerError : new Error(String(ledgerError));
        }
      }),
    );
  }

  private async record<T>(meta: AuditMeta, body: (commit: Commit) => Promise<T>): Promise<T> {
    let committed = false;
    const committing = async <R>(write: () => Promise<R>): Promise<R> => {
      const result = await write();
      committed = true;
      this.integrator.nudge();
      return result;
    };
    const commit: Commit = Object.assign(
      <R>(work: (manager: EntityManager) => Promise<R>) =>
        committing(() =>
          this.db.transaction(async (manager) => {
            const value = await work(manager);
            await this.ledger.appendWithin(manager, [entry(meta, 'success', null)]);
            return value;
          }),
        ),
      { withEntry: <R>(write: (success: LedgerEntryInput) => Promise<R>) => committing(() => write(entry(meta, 'success', null))) },
    );
    let result: T;
    try {
      result = await body(commit);
    } catch (thrown) {
      // The ledger itself failed: nothing more can be recorded. Other ledger errors (a denied audit read) are recorded.
      if (thrown instanceof LedgerError && thrown.code === LedgerErrorCode.LEDGER_UNAVAILABLE) throw thrown;
      // A pool timeout is overload (UNAVAILABLE), not an internal error; it is recorded like any failure if it can be.
      throw await this.recordFailure(meta, asOverload(thrown) ?? thrown);
    }
    if (!committed) await this.ledger.append(entry(meta, 'success', null));
    return result;
  }

  private async recordFailure(meta: AuditMeta, error: unknown): Promise<unknown> {
    const code = error instanceof DomainError ? error.code : 'INTERNAL';
    const outcome = outcomeOf(error);
    try {
      await this.ledger.append(entry(meta, outcome, code));
    } catch (ledgerError) {
      // overloaded twice over: the caller learns it is overload, not that the ledger is broken
      return error instanceof OverloadError ? error : ledgerError;
    }
    return error;
  }
}

/** What the ledger records for an error (and the operations metric counts): a denial or a failure. */
function outcomeOf(error: unknown): 'denied' | 'failed' {
  return error instanceof DomainError && error.deniedAccess ? 'denied' : 'failed';
}

function entry(meta: AuditMeta, outcome: LedgerEntryInput['outcome'], errorCode: string | null): LedgerEntryInput {
  return {
    principalId: meta.ctx.principalId,
    vault: meta.vault,
    keyName: meta.keyName ?? null,
    keyVersion: meta.keyVersion ?? null,
    operation: meta.operation,
    outcome,
    errorCode,
    requestId: meta.ctx.requestId,
    traceId: meta.ctx.traceId ?? null,
    paramsDigest: meta.params ? createHash('sha256').update(canonicalize(meta.params) ?? '').digest('hex') : null,
    details: meta.details ?? {},
  };
}
