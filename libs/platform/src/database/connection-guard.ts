import { AsyncLocalStorage } from 'node:async_hooks';
import { Logger } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';

/**
 * Nested connection acquisition is a liveness bug: code that holds a transaction's connection and then waits for a
 * second one deadlocks as soon as more callers than the pool has connections do the same (every connection is held
 * by a transaction waiting for another). The guard makes it visible at any load: while an async context runs
 * inside a transaction, asking the pool for another connection is a violation, thrown (mode `throw`) or logged.
 */
export type ConnectionGuardMode = 'throw' | 'log' | 'off';

interface Holding {
  readonly what: string;
}

const holding = new AsyncLocalStorage<Holding>();
const logger = new Logger('ConnectionGuard');
let mode: ConnectionGuardMode = 'throw';
let violations = 0;

export class NestedConnectionError extends Error {
  constructor(what: string, held: string) {
    super(`nested database connection: ${what} while this request holds the connection of ${held}`);
  }
}

/** Violations seen by this process (log mode counts them too). */
export function nestedConnectionViolations(): number {
  return violations;
}

/** Reports a violation if the current async context holds a transaction's connection. */
export function assertNoConnectionHeld(what: string): void {
  const held = holding.getStore();
  if (!held || mode === 'off') return;
  violations += 1;
  const error = new NestedConnectionError(what, held.what);
  if (mode === 'throw') throw error;
  logger.warn(`${error.message}\n${error.stack ?? ''}`);
}

/** Runs fn as holding a connection (for code that manages a QueryRunner itself). */
export function holdingConnection<T>(what: string, fn: () => Promise<T>): Promise<T> {
  return holding.run({ what }, fn);
}

/**
 * Runs fn outside any transaction's context: for work that merely starts here but belongs to nobody's transaction
 * (a group-commit flush, a background integration).
 */
export function outsideTransaction<T>(fn: () => T): T {
  return holding.exit(fn);
}

/** Wraps the data source's pool and its default manager's `transaction` (through which DataSource.transaction goes). */
export function installConnectionGuard(dataSource: DataSource, guardMode: ConnectionGuardMode): void {
  mode = guardMode;
  if (guardMode === 'off') return;
  const pool = (dataSource.driver as unknown as { master: { connect: (...args: unknown[]) => unknown } }).master;
  const connect = pool.connect.bind(pool);
  pool.connect = (...args: unknown[]) => {
    assertNoConnectionHeld('a pool connection was requested');
    return connect(...args);
  };
  const manager = dataSource.manager;
  const transaction = manager.transaction.bind(manager) as (...args: unknown[]) => Promise<unknown>;
  (manager as { transaction: unknown }).transaction = (...args: unknown[]) => {
    const index = typeof args[0] === 'function' ? 0 : 1;
    const work = args[index] as (m: EntityManager) => Promise<unknown>;
    const wrapped = [...args];
    wrapped[index] = (m: EntityManager) => holding.run({ what: 'a transaction' }, () => work(m));
    return transaction(...wrapped);
  };
}
