import { OverloadError } from '@keybridge/platform';
import * as pkcs11js from 'pkcs11js';
import { HsmError, HsmErrorCode } from '../hsm.errors';
import { ckrName } from './ckr';

const SESSION_FLAGS = pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION;

/**
 * A fixed set of R/W sessions on one token, one operation in flight per session (PKCS#11 forbids two on one
 * session, and pkcs11js's *Async calls run on libuv threads). Callers queue FIFO for a free session.
 *
 * Login is per token per process and lasts while any session of the token is open, so a session that may be left
 * with an operation active is replaced by opening the new one before closing the old.
 */
export class SessionPool {
  private readonly idle: Buffer[] = [];
  private readonly waiters: Waiter[] = [];
  private busy = 0;
  private closing = false;
  private drained: (() => void) | undefined;
  private exclusiveTail: Promise<void> = Promise.resolve();

  constructor(
    private readonly lib: pkcs11js.PKCS11,
    private readonly slot: Buffer,
    private readonly size: number,
    private readonly pool: string,
    private readonly acquireTimeoutMs = 2000,
  ) {}

  /** Sessions running an operation (all of them while `exclusive` holds the pool). */
  get inUse(): number {
    return this.busy;
  }

  /** Sessions the pool keeps open. */
  get capacity(): number {
    return this.size;
  }

  /** Callers queued for a free session. */
  get waiting(): number {
    return this.waiters.length;
  }

  /** Opens the sessions and logs the user in (once per token per process). */
  open(pin: string): void {
    for (let i = 0; i < this.size; i++) this.idle.push(this.lib.C_OpenSession(this.slot, SESSION_FLAGS));
    try {
      this.lib.C_Login(this.idle[0], pkcs11js.CKU_USER, pin);
    } catch (error) {
      const ckr = ckrName(error);
      if (ckr !== 'CKR_USER_ALREADY_LOGGED_IN') {
        this.closeIdle();
        throw new HsmError(HsmErrorCode.HSM_ERROR, `pool ${this.pool}: user login failed (${ckr ?? 'not a PKCS#11 error'})`, {
          pool: this.pool,
          ckr: ckr ?? 'none',
        });
      }
    }
  }

  /** Runs fn on a session of its own; a PKCS#11 error may leave an operation active, so that session is replaced. */
  async use<T>(fn: (session: Buffer) => Promise<T>): Promise<T> {
    let session = await this.acquire();
    try {
      return await fn(session);
    } catch (error) {
      if (ckrName(error) !== undefined || !(error instanceof HsmError)) session = this.replace(session);
      throw error;
    } finally {
      this.release(session);
    }
  }

  /**
   * Runs fn while no other operation of this pool is in flight and none can start: it holds every session. For
   * changing the token's login state (security-officer steps), which applies to all sessions of the process.
   * Exclusive callers queue behind each other, so two can never each hold half the sessions.
   */
  async exclusive<T>(fn: (session: Buffer) => Promise<T>): Promise<T> {
    const previous = this.exclusiveTail;
    let done!: () => void;
    this.exclusiveTail = new Promise<void>((resolve) => (done = resolve));
    await previous;
    const held: Buffer[] = [];
    try {
      // no bound here: security-officer steps are rare and must not fail because traffic holds sessions
      for (let i = 0; i < this.size; i++) held.push(await this.acquire(false));
      return await fn(held[0]);
    } finally {
      for (const session of held) this.release(session);
      done();
    }
  }

  /** Waits for operations in flight, then closes every session. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    for (const waiter of this.waiters.splice(0)) {
      clearTimeout(waiter.timer);
      waiter.reject(closedError(this.pool));
    }
    if (this.busy > 0) await new Promise<void>((resolve) => (this.drained = resolve));
    this.closeIdle();
  }

  private acquire(bounded = true): Promise<Buffer> {
    if (this.closing) return Promise.reject(closedError(this.pool));
    const session = this.idle.pop();
    if (session) {
      this.busy++;
      return Promise.resolve(session);
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { resolve, reject };
      if (bounded) {
        waiter.timer = setTimeout(() => {
          const index = this.waiters.indexOf(waiter);
          if (index >= 0) this.waiters.splice(index, 1);
          reject(new OverloadError('hsm', `pool ${this.pool}: no HSM session became free within ${this.acquireTimeoutMs} ms; retry later`));
        }, this.acquireTimeoutMs);
      }
      this.waiters.push(waiter);
    });
  }

  private release(session: Buffer): void {
    const waiter = this.waiters.shift();
    if (waiter) {
      clearTimeout(waiter.timer);
      waiter.resolve(session);
      return;
    }
    this.busy--;
    this.idle.push(session);
    if (this.closing && this.busy === 0) this.drained?.();
  }

  private replace(session: Buffer): Buffer {
    let fresh: Buffer;
    try {
      fresh = this.lib.C_OpenSession(this.slot, SESSION_FLAGS);
    } catch {
      return session; // keep the old one: if it is stuck, its next *Init fails and we try again
    }
    try {
      this.lib.C_CloseSession(session);
    } catch {
      // gone already
    }
    return fresh;
  }

  private closeIdle(): void {
    for (const session of this.idle.splice(0)) {
      try {
        this.lib.C_CloseSession(session);
      } catch {
        // the module may be finalised already
      }
    }
  }
}

interface Waiter {
  resolve: (session: Buffer) => void;
  reject: (error: Error) => void;
  timer?: NodeJS.Timeout;
}

function closedError(pool: string): HsmError {
  return new HsmError(HsmErrorCode.HSM_ERROR, `pool ${pool} is closed`, { pool });
}
