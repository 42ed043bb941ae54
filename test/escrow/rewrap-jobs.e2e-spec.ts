import { randomBytes } from 'node:crypto';
import { admin, adminDatabase, createKey, GatewayClient, principalWith, requireEnv, vaultWithOwner } from '@keybridge/testing';
import { createClient } from 'graphql-ws';
import { Client } from 'pg';
import WebSocket from 'ws';
import { generateKeys, releaseAll, waitFor } from './support';

const START = `mutation($s: RewrapSelectorInput!, $t: RewrapTargetInput!, $b: Int!, $r: Int) {
  startRewrapJob(selector: $s, target: $t, batchSize: $b, maxRatePerSecond: $r) { id status target { kid } progress { total done } } }`;
const JOB = 'query($id: ID!) { rewrapJob(id: $id) { id status errorCode progress { total done failed skipped remaining ratePerSecond etaSeconds } } }';
const FAILURES = 'query($id: ID!) { rewrapFailures(jobId: $id) { edges { node { recordId reason message attempts } } } }';
const DEPOSIT = 'mutation($i: DepositWrappedKeyInput!) { depositWrappedKey(input: $i) { id } }';
const control = (name: string): string => `mutation($id: ID!) { ${name}(id: $id) { id status } }`;

interface Job {
  id: string;
  status: string;
  errorCode: string | null;
  progress: { total: number; done: number; failed: number; skipped: number; remaining: number; ratePerSecond: number; etaSeconds: number | null };
}

describe('re-wrap jobs through the API (the stack worker runs them)', () => {
  let db: Client;
  let vault: string;
  let owner: GatewayClient;
  let other: { vault: string; owner: GatewayClient };
  let noJobs: GatewayClient;

  const job = async (id: string): Promise<Job> => (await owner.data<{ rewrapJob: Job }>(JOB, { id })).rewrapJob;
  const finished = (id: string): Promise<Job> =>
    waitFor(`job ${id} to end`, 90_000, async () => {
      const j = await job(id);
      return j.status === 'running' ? undefined : j;
    });
  const start = async (variables: Record<string, unknown>): Promise<{ id: string; status: string; progress: { total: number } }> =>
    (await owner.data<{ startRewrapJob: { id: string; status: string; progress: { total: number } } }>(START, { b: 50, ...variables })).startRewrapJob;

  beforeAll(async () => {
    db = await adminDatabase();
    ({ vault, owner } = await vaultWithOwner('pool-a', 'jobs'));
    other = await vaultWithOwner('pool-b', 'jobs-other');
    await createKey(owner, { vault, name: 'kek', kty: 'oct', size: 256 });
    await createKey(owner, { vault, name: 'next', kty: 'oct', size: 256 });
    await createKey(owner, { vault, name: 'ec', kty: 'EC' });
    await createKey(owner, { vault, name: 'off', kty: 'oct', enabled: false });
    await createKey(owner, { vault, name: 'unwraponly', kty: 'oct', keyOps: ['unwrapKey'] });
    await createKey(other.owner, { vault: other.vault, name: 'theirs', kty: 'oct' });
    noJobs = await principalWith(vault, ['get', 'list', 'wrapKey', 'unwrapKey']);
  });

  afterAll(() => db.end());

  it('moves exactly the selected records (owner and labels) to the target; each releases to the same data key', async () => {
    const mine = await generateKeys(owner, { vault, key: 'kek', bits: 256, owner: 'team-a', labels: [{ name: 'tier', value: 'gold' }] }, 60);
    const otherOwner = await generateKeys(owner, { vault, key: 'kek', bits: 256, owner: 'team-b', labels: [{ name: 'tier', value: 'gold' }] }, 10);
    const otherLabel = await generateKeys(owner, { vault, key: 'kek', bits: 256, owner: 'team-a', labels: [{ name: 'tier', value: 'tin' }] }, 10);
    const started = await start({
      s: { vault, key: 'kek', fromVersions: [1], owner: 'team-a', labels: [{ name: 'tier', value: 'gold' }] },
      t: { vault, key: 'next' },
      b: 7,
    });
    expect(started.progress.total).toBe(60);
    const done = await finished(started.id);
    expect(done).toMatchObject({ status: 'completed', errorCode: null, progress: { total: 60, done: 60, failed: 0, skipped: 0, remaining: 0 } });
    const moved = await releaseAll(owner, [...mine].map(([id, expected]) => ({ id, expected })));
    expect(moved).toEqual({ mismatches: 0, versions: new Set([`/vaults/${vault}/keys/next/1`]) });
    const untouched = await releaseAll(owner, [...otherOwner, ...otherLabel].map(([id, expected]) => ({ id, expected })));
    expect(untouched).toEqual({ mismatches: 0, versions: new Set([`/vaults/${vault}/keys/kek/1`]) });
    const { rows } = await db.query<{ moved: string; entries: string }>(
      "SELECT sum((details->>'moved')::int) AS moved, count(*) AS entries FROM ledger_entries WHERE operation = 'rewrapBatch' AND details->>'jobId' = $1",
      [started.id],
    );
    expect(rows[0]).toEqual({ moved: '60', entries: '9' }); // 60 records in batches of 7
  });

  it('lists records that cannot move with typed reasons; they keep their wrapping; retry tries them again', async () => {
    await createKey(owner, { vault, name: 'mixed', kty: 'oct', size: 256 });
    const good = await generateKeys(owner, { vault, key: 'mixed', bits: 128, owner: 'x' }, 5);
    const bad: string[] = [];
    for (let i = 0; i < 3; i++) {
      const { depositWrappedKey } = await owner.data<{ depositWrappedKey: { id: string } }>(DEPOSIT, {
        i: { vault, key: 'mixed', algorithm: 'CKM_AES_KEY_WRAP_PAD', wrapped: randomBytes(40).toString('base64url'), owner: 'x' },
      });
      bad.push(depositWrappedKey.id);
    }
    const started = await start({ s: { vault, key: 'mixed', fromVersions: [1] }, t: { vault, key: 'next' } });
    const done = await finished(started.id);
    expect(done).toMatchObject({ status: 'completed', progress: { total: 8, done: 5, failed: 3 } });
    const failures = async (): Promise<Array<{ recordId: string; reason: string; attempts: number }>> =>
      (await owner.data<{ rewrapFailures: { edges: Array<{ node: { recordId: string; reason: string; attempts: number } }> } }>(FAILURES, { id: started.id })).rewrapFailures.edges.map(
        (e) => e.node,
      );
    expect((await failures()).map((f) => [f.recordId, f.reason, f.attempts]).sort()).toEqual(bad.map((id) => [id, 'UNWRAP_FAILED', 1]).sort());
    expect((await releaseAll(owner, [...good].map(([id, expected]) => ({ id, expected })))).mismatches).toBe(0);

    const retried = (await owner.data<{ retryRewrapFailures: { status: string } }>(control('retryRewrapFailures'), { id: started.id })).retryRewrapFailures;
    expect(retried.status).toBe('running');
    expect(await finished(started.id)).toMatchObject({ status: 'completed', progress: { done: 5, failed: 3 } });
    expect((await failures()).map((f) => f.attempts)).toEqual([2, 2, 2]);
    const { rows } = await db.query<{ key_version: number; n: string }>(
      'SELECT r.key_version, count(*) AS n FROM escrow_records r WHERE r.id = ANY($1) GROUP BY 1',
      [bad],
    );
    expect(rows).toEqual([{ key_version: 1, n: '3' }]);
  });

  it('pause stops the workers, resume finishes the job, cancel is final; progress and ETA come from Postgres', async () => {
    await createKey(owner, { vault, name: 'slow', kty: 'oct', size: 256 });
    await generateKeys(owner, { vault, key: 'slow', bits: 128, owner: 'x' }, 80);
    const started = await start({ s: { vault, key: 'slow', fromVersions: [1] }, t: { vault, key: 'next' }, b: 5, r: 20 });
    await waitFor('some progress', 30_000, async () => ((await job(started.id)).progress.done > 0 ? true : undefined));
    const running = await job(started.id);
    expect(running.progress.ratePerSecond).toBeGreaterThan(0);
    expect(running.progress.etaSeconds).not.toBeNull();
    expect((await owner.data<{ pauseRewrapJob: { status: string } }>(control('pauseRewrapJob'), { id: started.id })).pauseRewrapJob.status).toBe('paused');
    expect(await owner.errorCode(control('pauseRewrapJob'), { id: started.id })).toBe('REWRAP_JOB_STATE_CONFLICT');
    await new Promise((r) => setTimeout(r, 1500)); // a batch in flight at the pause is discarded, not written
    const paused = await job(started.id);
    await new Promise((r) => setTimeout(r, 1500));
    expect((await job(started.id)).progress.done).toBe(paused.progress.done);
    expect(paused.progress.etaSeconds).toBeNull();
    expect(paused.progress.done).toBeLessThan(80);

    expect((await owner.data<{ resumeRewrapJob: { status: string } }>(control('resumeRewrapJob'), { id: started.id })).resumeRewrapJob.status).toBe('running');
    expect(await owner.errorCode(control('resumeRewrapJob'), { id: started.id })).toBe('REWRAP_JOB_STATE_CONFLICT');
    expect(await finished(started.id)).toMatchObject({ status: 'completed', progress: { done: 80, failed: 0 } });
    expect(await owner.errorCode(control('cancelRewrapJob'), { id: started.id })).toBe('REWRAP_JOB_FINISHED');
    expect(await owner.errorCode(control('pauseRewrapJob'), { id: started.id })).toBe('REWRAP_JOB_FINISHED');

    await owner.data('mutation($v: String!) { rotateKey(vault: $v, name: "next") { kid } }', { v: vault });
    const second = await start({ s: { vault, key: 'next', fromVersions: [1] }, t: { vault, key: 'next' }, b: 5, r: 10 });
    expect((await owner.data<{ cancelRewrapJob: { status: string } }>(control('cancelRewrapJob'), { id: second.id })).cancelRewrapJob.status).toBe('cancelled');
    expect(await owner.errorCode(control('cancelRewrapJob'), { id: second.id })).toBe('REWRAP_JOB_FINISHED');
    expect(await owner.errorCode(control('resumeRewrapJob'), { id: second.id })).toBe('REWRAP_JOB_FINISHED');
  });

  it('streams live progress over graphql-ws until the job ends; refuses a connection without credentials', async () => {
    await createKey(owner, { vault, name: 'watched', kty: 'oct', size: 256 });
    await generateKeys(owner, { vault, key: 'watched', bits: 128, owner: 'x' }, 40);
    const started = await start({ s: { vault, key: 'watched', fromVersions: [1] }, t: { vault, key: 'next', version: '1' }, b: 5, r: 40 });
    const url = requireEnv('KEYBRIDGE_GATEWAY_URL').replace(/^http/, 'ws') + '/graphql';
    const client = createClient({ url, webSocketImpl: WebSocket, retryAttempts: 0, connectionParams: { Authorization: `Bearer ${owner.token}` } });
    const events: Array<{ status: string; progress: { done: number } }> = [];
    try {
      const stream = client.iterate<{ rewrapJobProgress: { status: string; progress: { done: number } } }>({
        query: 'subscription($id: ID!) { rewrapJobProgress(id: $id) { status progress { done total } } }',
        variables: { id: started.id },
      });
      for await (const event of stream) {
        if (event.errors) throw new Error(JSON.stringify(event.errors));
        if (event.data) events.push(event.data.rewrapJobProgress);
      }
    } finally {
      await client.dispose();
    }
    expect(events.length).toBeGreaterThan(2);
    expect(events.at(-1)).toEqual({ status: 'completed', progress: { done: 40, total: 40 } });
    const dones = events.map((e) => e.progress.done);
    expect([...dones].sort((a, b) => a - b)).toEqual(dones);

    const anonymous = createClient({ url, webSocketImpl: WebSocket, retryAttempts: 0, lazy: true });
    const refused = (async () => {
      for await (const _ of anonymous.iterate({ query: 'subscription($id: ID!) { rewrapJobProgress(id: $id) { status } }', variables: { id: started.id } })) {
        // no event may arrive
      }
    })();
    await expect(refused).rejects.toBeDefined();
    await anonymous.dispose();
  });

  const sel = (patch: Record<string, unknown> = {}): Record<string, unknown> => ({ vault, key: 'kek', fromVersions: [1], ...patch });
  const cases: Array<[string, () => GatewayClient, () => Record<string, unknown>, string]> = [
    ['unknown source key', () => owner, () => ({ s: sel({ key: 'nope' }), t: { vault, key: 'next' } }), 'KEY_NOT_FOUND'],
    ['unknown target key', () => owner, () => ({ s: sel(), t: { vault, key: 'nope' } }), 'KEY_NOT_FOUND'],
    ['unknown source version', () => owner, () => ({ s: sel({ fromVersions: [7] }), t: { vault, key: 'next' } }), 'KEY_VERSION_NOT_FOUND'],
    ['target without wrapKey in key_ops', () => owner, () => ({ s: sel(), t: { vault, key: 'unwraponly' } }), 'OPERATION_NOT_ALLOWED'],
    ['target of the wrong type (EC)', () => owner, () => ({ s: sel(), t: { vault, key: 'ec' } }), 'WRAPPING_KEY_TYPE_INVALID'],
    ['target equal to source', () => owner, () => ({ s: sel(), t: { vault, key: 'kek', version: '1' } }), 'REWRAP_TARGET_IS_SOURCE'],
    ['disabled target', () => owner, () => ({ s: sel(), t: { vault, key: 'off' } }), 'KEY_DISABLED'],
    ['batch size 0', () => owner, () => ({ s: sel(), t: { vault, key: 'next' }, b: 0 }), 'INVALID_ARGUMENT'],
    ['huge batch size', () => owner, () => ({ s: sel(), t: { vault, key: 'next' }, b: 1_000_000 }), 'INVALID_ARGUMENT'],
    ['rate 0', () => owner, () => ({ s: sel(), t: { vault, key: 'next' }, r: 0 }), 'INVALID_ARGUMENT'],
    ['both fromVersions and allBelowVersion', () => owner, () => ({ s: sel({ allBelowVersion: 2 }), t: { vault, key: 'next' } }), 'INVALID_ARGUMENT'],
    ['neither fromVersions nor allBelowVersion', () => owner, () => ({ s: sel({ fromVersions: null }), t: { vault, key: 'next' } }), 'INVALID_ARGUMENT'],
    ['missing manageJobs', () => noJobs, () => ({ s: sel(), t: { vault, key: 'next' } }), 'FORBIDDEN'],
    ['target vault without a grant', () => owner, () => ({ s: sel(), t: { vault: other.vault, key: 'theirs' } }), 'VAULT_NOT_FOUND'],
    ['source vault without a grant', () => owner, () => ({ s: sel({ vault: other.vault, key: 'theirs' }), t: { vault, key: 'next' } }), 'VAULT_NOT_FOUND'],
  ];

  it.each(cases)('startRewrapJob: %s', async (_name, client, variables, code) => {
    const before = (await db.query('SELECT count(*) AS n FROM rewrap_jobs WHERE source_vault = $1', [vault])).rows[0].n;
    expect(await client().errorCode(START, { b: 10, ...variables() })).toBe(code);
    expect((await db.query('SELECT count(*) AS n FROM rewrap_jobs WHERE source_vault = $1', [vault])).rows[0].n).toBe(before);
    const { rows } = await db.query<{ outcome: string; error_code: string }>(
      "SELECT outcome, error_code FROM ledger_entries WHERE operation = 'startRewrapJob' AND vault = ANY($1) ORDER BY seq DESC LIMIT 1",
      [[vault, other.vault]],
    );
    expect(rows[0].error_code).toBe(code);
  });

  it('a target in another pool is refused (no transfer key between pools)', async () => {
    await admin().data('mutation($p: String!, $v: String!, $perms: [Permission!]!) { setGrant(principal: $p, vault: $v, permissions: $perms) { vault } }', {
      p: (await owner.data<{ me: { name: string } }>('{ me { name } }')).me.name,
      v: other.vault,
      perms: ['manageJobs', 'wrapKey'],
    });
    expect(await owner.errorCode(START, { b: 10, s: sel(), t: { vault: other.vault, key: 'theirs' } })).toBe('UNSUPPORTED_BY_HSM');
  });

  it.each<[string, string, () => GatewayClient, string]>([
    ['rewrapJob', 'query($id: ID!) { rewrapJob(id: $id) { id } }', () => owner, 'REWRAP_JOB_NOT_FOUND'],
    ['cancel', control('cancelRewrapJob'), () => owner, 'REWRAP_JOB_NOT_FOUND'],
    ['pause', control('pauseRewrapJob'), () => owner, 'REWRAP_JOB_NOT_FOUND'],
    ['resume', control('resumeRewrapJob'), () => owner, 'REWRAP_JOB_NOT_FOUND'],
    ['retry', control('retryRewrapFailures'), () => owner, 'REWRAP_JOB_NOT_FOUND'],
  ])('%s of an unknown job', async (_name, query, client, code) => {
    expect(await client().errorCode(query, { id: '00000000-0000-4000-8000-000000000000' })).toBe(code);
  });

  it("another vault's principal cannot see or control a job", async () => {
    const started = await start({ s: sel({ fromVersions: [1], owner: 'nobody' }), t: { vault, key: 'next' } });
    expect(started.status).toBe('completed'); // nothing selected: a job with nothing to do
    expect(await other.owner.errorCode(JOB, { id: started.id })).toBe('REWRAP_JOB_NOT_FOUND');
    expect(await other.owner.errorCode(control('cancelRewrapJob'), { id: started.id })).toBe('REWRAP_JOB_NOT_FOUND');
    expect(await noJobs.errorCode(JOB, { id: started.id })).toBe('FORBIDDEN');
  });
});
