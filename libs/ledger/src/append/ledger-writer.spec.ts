import { AppConfig, Clock, holdingConnection, NestedConnectionError } from '@keybridge/platform';
import { DataSource } from 'typeorm';
import { canonicalEntry } from '../chain/hash-chain';
import { LedgerEntryInput } from '../ledger-entry';
import { LedgerErrorCode } from '../ledger.errors';
import { LedgerIntegrator } from '../integrate/ledger-integrator';
import { LedgerWriter } from './ledger-writer';

const entry = (requestId: string): LedgerEntryInput => ({
  principalId: 'p',
  vault: 'v',
  keyName: 'k',
  keyVersion: 1,
  operation: 'wrapKey',
  outcome: 'success',
  errorCode: null,
  requestId,
  traceId: null,
  paramsDigest: null,
  details: { n: 1 },
});

/** Stands in for Postgres' ledger queue: records batches, fails as told. */
class FakeDatabase {
  readonly batches: string[][] = [];
  /** The canonical texts as ledger_integrate will join them, with the seq it will give each entry. */
  readonly canonical: string[][] = [];
  fail: (requestIds: string[]) => Error | undefined = () => undefined;
  private queueId = 0;

  async query(_sql: string, params: unknown[]): Promise<Array<{ queue_id: string }>> {
    const requestIds = params[11] as string[];
    this.batches.push(requestIds);
    const at = JSON.stringify(new Date(params[0] as string).toISOString());
    const base = this.queueId;
    this.canonical.push((params[1] as string[]).map((h, i) => `${h}${at}${(params[2] as string[])[i]}${base + i + 1}${(params[3] as string[])[i]}`));
    const error = this.fail(requestIds);
    if (error) throw error;
    return requestIds.map(() => ({ queue_id: String(++this.queueId) }));
  }
}

/** Counts nudges; the real integrator is exercised against Postgres (test/ledger). */
class FakeIntegrator {
  nudges = 0;
  nudge(): void {
    this.nudges += 1;
  }
}

const sqlError = (code: string): Error => Object.assign(new Error('refused'), { code });

function writer(db: FakeDatabase, integrator = new FakeIntegrator()): LedgerWriter {
  const clock: Clock = { now: () => new Date('2026-03-01T00:00:00.000Z') };
  const config = AppConfig.fromEnv({ DATABASE_URL: 'postgres://x', REDIS_URL: 'redis://x', KEYBRIDGE_POOLS_FILE: 'x' });
  return new LedgerWriter(db as unknown as DataSource, clock, config, integrator as unknown as LedgerIntegrator);
}

describe('LedgerWriter', () => {
  it('group-commits concurrent appends into the queue, sends the canonical text split around seq and nudges the integrator', async () => {
    const db = new FakeDatabase();
    const integrator = new FakeIntegrator();
    const w = writer(db, integrator);
    const receipts = await Promise.all(['a', 'b', 'c'].map((id) => w.append(entry(id))));
    expect(db.batches).toEqual([['a', 'b', 'c']]);
    expect(receipts.map((r) => r.queueId)).toEqual([1, 2, 3]);
    // what the integrator will hash is exactly the canonical entry the verifiers hash
    expect(db.canonical[0][1]).toBe(canonicalEntry(2, new Date('2026-03-01T00:00:00.000Z'), entry('b')));
    expect(integrator.nudges).toBe(1);
  });

  it('refuses an append from inside a transaction (it would wait for a second connection)', async () => {
    const w = writer(new FakeDatabase());
    await expect(holdingConnection('a transaction', async () => w.append(entry('x')))).rejects.toThrow(NestedConnectionError);
  });

  it('answers UNAVAILABLE (overload), not LEDGER_UNAVAILABLE, when no connection could be had in time', async () => {
    const db = new FakeDatabase();
    db.fail = () => new Error('timeout exceeded when trying to connect');
    await expect(writer(db).append(entry('a'))).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  });

  it('retries a batch entry by entry when the database refused a statement, so one bad entry fails alone', async () => {
    const db = new FakeDatabase();
    db.fail = (ids) => (ids.includes('bad') ? sqlError('P0001') : undefined);
    const w = writer(db);
    const results = await Promise.allSettled(['a', 'bad', 'c'].map((id) => w.append(entry(id))));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ code: LedgerErrorCode.LEDGER_UNAVAILABLE });
    expect(db.batches).toEqual([['a', 'bad', 'c'], ['a'], ['bad'], ['c']]);
  });

  it.each([
    ['a lost connection (no SQLSTATE)', new Error('Connection terminated unexpectedly')],
    ['a server shutting down (57P01)', sqlError('57P01')],
    ['a connection exception (08006)', sqlError('08006')],
  ])('fails the whole batch without retrying after %s: the batch may have committed unseen', async (_name, error) => {
    const db = new FakeDatabase();
    db.fail = () => error;
    const w = writer(db);
    const results = await Promise.allSettled(['a', 'b'].map((id) => w.append(entry(id))));
    expect(results.every((r) => r.status === 'rejected' && (r.reason as { code: string }).code === LedgerErrorCode.LEDGER_UNAVAILABLE)).toBe(true);
    expect(db.batches).toEqual([['a', 'b']]);
  });
});
