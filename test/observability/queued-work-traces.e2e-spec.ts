import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { freePort, GatewayClient, ledgerSettling } from '@keybridge/testing';
import { PrivateRedis, waitFor, workerEnv, Workers } from '../escrow/support';
import { GatewayProcess, prepareDatabase, ThrowAwayDatabase } from '../ledger/support/stack';
import { CollectedSpan, OtlpCollector } from './otlp-collector';

/**
 * Work that a request queues — webhook deliveries of the events it caused, the keys of a vault migration it started
 * — runs later in a worker, in spans linked to that request's trace (as re-wrap jobs' batches are: traces.e2e-spec).
 * A database of its own, so that only this test's worker picks the work up.
 */
describe('trace context of queued work', () => {
  const collector = new OtlpCollector();
  let db: ThrowAwayDatabase;
  let sql: Client;
  let redis: PrivateRedis;
  let workers: Workers;
  let gateway: GatewayProcess;
  let admin: GatewayClient;
  let work: string;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'kb-queued-traces-'));
    const collectorPort = await freePort();
    await collector.start(collectorPort);
    db = await ThrowAwayDatabase.create('queued_traces');
    const token = await prepareDatabase(db.env(), work);
    sql = ledgerSettling(new Client({ connectionString: db.adminUrl }));
    await sql.connect();
    redis = new PrivateRedis(await freePort());
    await redis.start();
    const otel = {
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `http://127.0.0.1:${collectorPort}/v1/traces`,
      OTEL_BSP_SCHEDULE_DELAY: '200',
      OTEL_METRICS_EXPORTER: 'none',
      OTEL_LOGS_EXPORTER: 'none',
    };
    const env = { ...workerEnv(redis.url, 'queued-traces', otel), DATABASE_URL: db.appUrl, DATABASE_MIGRATION_URL: db.adminUrl, KEYBRIDGE_WEBHOOK_BACKOFF_MS: '60000' };
    workers = new Workers({ ...env, OTEL_SERVICE_NAME: 'keybridge-worker-queued' });
    gateway = await GatewayProcess.start({ ...env, OTEL_SERVICE_NAME: 'keybridge-gateway-queued' });
    await workers.spawn();
    admin = gateway.client(token);
    for (const [vault, pool] of [
      ['from', 'pool-a'],
      ['to', 'pool-b'],
    ]) {
      await admin.data('mutation($v: String!, $p: String!) { createVault(name: $v, pool: $p) { name } }', { v: vault, p: pool });
      await admin.data('mutation($v: String!) { setGrant(principal: "admin", vault: $v, permissions: [create, get, list, update, transfer, manageJobs, import]) { vault } }', { v: vault });
    }
  }, 180_000);

  afterAll(async () => {
    await gateway?.stop();
    await workers?.stopAll();
    await redis?.stop();
    await sql?.end();
    await db?.drop();
    await collector.stop();
    rmSync(work, { recursive: true, force: true });
  }, 60_000);

  /** The request's trace id from a stored traceparent, once the gateway's own spans of that trace arrived. */
  async function requestTrace(traceParent: string): Promise<string> {
    const traceId = traceParent.split('-')[1];
    await waitFor('the request spans', 30_000, async () => (collector.spans.some((s) => s.traceId === traceId && s.service === 'keybridge-gateway-queued') ? true : undefined));
    return traceId;
  }

  function linkedTo(spans: CollectedSpan[], traceId: string): void {
    expect(spans.length).toBeGreaterThan(0);
    for (const span of spans) {
      expect(span.service).toBe('keybridge-worker-queued');
      expect(span.links.map((l) => l.traceId)).toEqual([traceId]);
      expect(span.traceId).not.toBe(traceId);
    }
  }

  it("a webhook delivery attempt runs in a span linked to the request that caused the event", async () => {
    await admin.data('mutation { createWebhook(input: { name: "rotations", url: "https://127.0.0.1:9/hook", secret: "s3cr3t-s3cr3t-s3cr3t-s3cr3t-s3cr3t-xx", eventKinds: ["KeyRotated"] }) { id } }');
    await admin.data('mutation { createKey(input: { vault: "from", name: "rotated", kty: "oct" }) { kid } }');
    await admin.data('mutation { rotateKey(vault: "from", name: "rotated") { version } }');
    const { rows } = await sql.query<{ trace_parent: string; trace_id: string }>(
      `SELECT e.trace_parent, l.trace_id FROM key_events e JOIN ledger_entries l ON l.queue_id = e.ledger_queue_id WHERE e.kind = 'KeyRotated' AND e.key_name = 'rotated'`,
    );
    expect(rows).toHaveLength(1);
    const traceId = await requestTrace(rows[0].trace_parent);
    // the event's ledger entry carries the same trace
    expect(rows[0].trace_id).toBe(traceId);
    const attempts = await waitFor('a delivery attempt span', 60_000, async () => {
      const found = collector.spans.filter((s) => s.name === 'webhook.deliver' && s.attributes['webhook.event'] === 'KeyRotated');
      return found.length > 0 ? found : undefined;
    });
    linkedTo(attempts, traceId);
  });

  it("a vault migration's keys are transferred in spans linked to the request that started it", async () => {
    for (const name of ['m1', 'm2']) await admin.data('mutation($n: String!) { createKey(input: { vault: "from", name: $n, kty: "oct", exportable: true }) { kid } }', { n: name });
    const { startVaultMigration } = await admin.data<{ startVaultMigration: { id: string } }>(
      'mutation { startVaultMigration(input: { sourceVault: "from", targetVault: "to" }) { id } }',
    );
    const { rows } = await sql.query<{ trace_parent: string }>('SELECT trace_parent FROM migration_jobs WHERE id = $1', [startVaultMigration.id]);
    const traceId = await requestTrace(rows[0].trace_parent);
    const keys = await waitFor('a span per migrated key', 120_000, async () => {
      const found = collector.spans.filter((s) => s.name === 'migration.key' && s.attributes['migration.job'] === startVaultMigration.id);
      return found.length >= 2 ? found : undefined; // m1 and m2 (the non-exportable key of the other test is skipped)
    });
    linkedTo(keys, traceId);
    // each key's HSM work is a child of its span
    expect(collector.spans.some((s) => s.traceId === keys[0].traceId && s.name.startsWith('hsm.'))).toBe(true);
  });
});
