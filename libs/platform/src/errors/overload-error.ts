import { recordOverload } from '@keybridge/telemetry';
import { DomainError } from './domain-error';

export enum OverloadErrorCode {
  /** A bounded wait ran out (database connection, HSM session) or the gateway's in-flight limit was reached. */
  UNAVAILABLE = 'UNAVAILABLE',
}

export type OverloadedResource = 'database' | 'hsm' | 'gateway';

/**
 * Overload is an answer, not a crash: the caller gets UNAVAILABLE quickly and may retry after `retryAfterSeconds`.
 * Nothing was done: the wait happened before the operation's state change or HSM work (or the state change's
 * transaction was never opened). Each one is counted (keybridge_overload_total{resource}).
 */
export class OverloadError extends DomainError<OverloadErrorCode> {
  constructor(
    readonly resource: OverloadedResource,
    message: string,
    readonly retryAfterSeconds = 1,
  ) {
    super(OverloadErrorCode.UNAVAILABLE, message, { resource, retryAfterSeconds });
    recordOverload(resource);
  }
}

/**
 * pg-pool's answers when no connection could be had in time (`connectionTimeoutMillis`): waiting for a free one, or
 * opening a new one. Anything else is not overload.
 */
const POOL_TIMEOUT = /^(timeout exceeded when trying to connect|Connection terminated due to connection timeout)$/;

/** The overload an error stands for, if it is one (already typed, or a pool timeout); otherwise undefined. */
export function asOverload(error: unknown): OverloadError | undefined {
  if (error instanceof OverloadError) return error;
  if (error instanceof Error && !(error instanceof DomainError) && POOL_TIMEOUT.test(error.message)) {
    return new OverloadError('database', 'no database connection became free in time; retry later');
  }
  return undefined;
}
