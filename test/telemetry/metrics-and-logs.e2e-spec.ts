import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { adminDatabase, adminToken, freePort, GatewayClient, requireEnv, uniqueName } from '@keybridge/testing';
import { allPrometheusSeriesNames, METRICS, MetricDescriptor, prometheusSeriesNames } from '@keybridge/telemetry';
import { parsePrometheus, Sample, select, sum } from './prometheus-text';
import { httpOk, TelemetryProcess } from './private-process';

/**
 * Metrics and logs (issue #7) of a private gateway and worker on the shared stack, with OTEL_METRICS_EXPORTER=
 * prometheus: a few operations through the gateway, then its /metrics (own port and the exporter's port) and
 * the worker's, and the gateway's stdout (JSON lines, trace ids, request and principal ids, redaction).
 */

const WRAP = 'mutation($k: KeyRefInput!, $a: String!, $v: String!) { wrapKey(key: $k, algorithm: $a, value: $v) { value } }';
const UNWRAP = 'mutation($k: KeyRefInput!, $a: String!, $v: String!) { unwrapKey(key: $k, algorithm: $a, value: $v) { value } }';
const ENCRYPT = 'mutation($k: KeyRefInput!, $a: String!, $p: String!) { encrypt(key: $k, algorithm: $a, plaintext: $p) { value iv tag } }';
const HEX32 = /^[0-9a-f]{32}$/;
const HEX16 = /^[0-9a-f]{16}$/;

async function scrape(url: string): Promise<{ status: number; text: string; samples: Sample[] }> {
  const response = await fetch(url);
  const text = await response.text();
  return { status: response.status, text, samples: response.ok ? parsePrometheus(text) : [] };
}

function poolsOfStack(): Array<{ name: string; sessions: number }> {
  const file = JSON.parse(readFileSync(requireEnv('KEYBRIDGE_POOLS_FILE'), 'utf8')) as { pools: Array<{ name: string; sessions?: number }> };
  return file.pools.map((p) => ({ name: p.name, sessions: p.sessions ?? 8 }));
}

describe('metrics and logs of a private gateway and worker', () => {
  let gateway: TelemetryProcess;
  let worker: TelemetryProcess;
  let gatewayUrl: string;
  let exporterUrl: string;
  let workerUrl: string;
  let adminClient: GatewayClient;
  const vault = uniqueName('metrics');
  const keyName = uniqueName('kek');
  const requestId = `kb-metrics-${randomBytes(6).toString('hex')}`;
  const plaintext = randomBytes(40).toString('base64url');
  const token = adminToken();
  let principalId: string;

  beforeAll(async () => {
    const [port, exporterPort, workerPort] = await Promise.all([freePort(), freePort(), freePort()]);
    const base: NodeJS.ProcessEnv = {
      ...process.env,
      OTEL_METRICS_EXPORTER: 'prometheus',
      OTEL_EXPORTER_PROMETHEUS_HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
    };
    for (const name of ['OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_TRACES_EXPORTER', 'OTEL_LOGS_EXPORTER', 'OTEL_EXPORTER_PROMETHEUS_PORT', 'NODE_OPTIONS']) delete base[name];
    gatewayUrl = `http://127.0.0.1:${port}`;
    exporterUrl = `http://127.0.0.1:${exporterPort}/metrics`;
    workerUrl = `http://127.0.0.1:${workerPort}/metrics`;
    // Trace ids reach log lines only with a tracer provider: spans go to stdout (console), between the JSON lines.
    gateway = new TelemetryProcess(
      'gateway',
      { ...base, HOST: '127.0.0.1', PORT: String(port), OTEL_EXPORTER_PROMETHEUS_PORT: String(exporterPort), OTEL_TRACES_EXPORTER: 'console' },
      () => httpOk(`${gatewayUrl}/health/ready`),
    );
    worker = new TelemetryProcess('worker', { ...base, OTEL_EXPORTER_PROMETHEUS_PORT: String(workerPort) }, (p) => Promise.resolve(p.stdout.includes('consuming queues')));
    await Promise.all([gateway.start(), worker.start()]);

    adminClient = new GatewayClient(token, `${gatewayUrl}/graphql`);
    const { me } = await adminClient.data<{ me: { id: string } }>('{ me { id } }');
    principalId = me.id;
    await adminClient.data('mutation($n: String!, $p: String!) { createVault(name: $n, pool: $p) { name } }', { n: vault, p: 'pool-a' });
    await adminClient.data('mutation($v: String!) { setGrant(principal: "admin", vault: $v, permissions: [create, wrapKey, encrypt, get]) { vault } }', { v: vault });
    await adminClient.data('mutation($i: CreateKeyInput!) { createKey(input: $i) { kid } }', { i: { vault, name: keyName, kty: 'oct', size: 256 } });
    for (let i = 0; i < 3; i++) {
      await adminClient.data(WRAP, { k: { vault, name: keyName }, a: 'CKM_AES_KEY_WRAP_PAD', v: randomBytes(32).toString('base64url') });
    }
    // Failed: no such vault. Denied: the grant lacks unwrapKey.
    expect(await adminClient.errorCode(WRAP, { k: { vault: uniqueName('absent'), name: keyName }, a: 'CKM_AES_KEY_WRAP_PAD', v: 'AAECAwQFBgcICQoLDA0ODw' })).toBe('VAULT_NOT_FOUND');
    expect(await adminClient.errorCode(UNWRAP, { k: { vault, name: keyName }, a: 'CKM_AES_KEY_WRAP_PAD', v: randomBytes(40).toString('base64url') })).toBe('FORBIDDEN');
  }, 180_000);

  afterAll(async () => {
    await Promise.all([gateway?.stop(), worker?.stop()]);
  });

  describe('/metrics', () => {
    it('is served on the gateway port and on OTEL_EXPORTER_PROMETHEUS_PORT, with the same series', async () => {
      const own = await scrape(`${gatewayUrl}/metrics`);
      const exporter = await scrape(exporterUrl);
      expect(own.status).toBe(200);
      expect(exporter.status).toBe(200);
      const names = (s: Sample[]): string[] => [...new Set(s.map((x) => x.name).filter((n) => n.startsWith('keybridge_')))].sort();
      expect(names(own.samples)).toEqual(names(exporter.samples));
    });

    it('counts operations by operation, outcome and pool, with a latency histogram of the same labels', async () => {
      const { samples } = await scrape(`${gatewayUrl}/metrics`);
      const wrapOk = { operation: 'wrapKey', outcome: 'success', pool: 'pool-a' };
      expect(sum(select(samples, 'keybridge_operations_total', wrapOk))).toBe(3);
      expect(sum(select(samples, 'keybridge_operations_total', { operation: 'createKey', outcome: 'success', pool: 'pool-a' }))).toBe(1);
      // createVault makes no HSM call.
      expect(sum(select(samples, 'keybridge_operations_total', { operation: 'createVault', outcome: 'success', pool: 'none' }))).toBe(1);
      expect(sum(select(samples, 'keybridge_operations_total', { operation: 'wrapKey', outcome: 'failed', pool: 'none' }))).toBe(1);
      expect(sum(select(samples, 'keybridge_operations_total', { operation: 'unwrapKey', outcome: 'denied', pool: 'none' }))).toBe(1);

      expect(sum(select(samples, 'keybridge_operation_duration_seconds_count', wrapOk))).toBe(3);
      const seconds = sum(select(samples, 'keybridge_operation_duration_seconds_sum', wrapOk));
      expect(seconds).toBeGreaterThan(0);
      expect(seconds).toBeLessThan(30);
      const buckets = select(samples, 'keybridge_operation_duration_seconds_bucket', wrapOk).sort((a, b) => Number(a.labels.le === '+Inf' ? Infinity : a.labels.le) - Number(b.labels.le === '+Inf' ? Infinity : b.labels.le));
      expect(buckets.length).toBeGreaterThan(5);
      for (let i = 1; i < buckets.length; i++) expect(buckets[i].value).toBeGreaterThanOrEqual(buckets[i - 1].value);
      expect(buckets.at(-1)).toMatchObject({ labels: { le: '+Inf' }, value: 3 });
    });

    it('counts HSM calls by pool, operation and outcome, and shows sessions in use per pool', async () => {
      const { samples } = await scrape(`${gatewayUrl}/metrics`);
      expect(sum(select(samples, 'keybridge_hsm_calls_total', { pool: 'pool-a', operation: 'generateKey', outcome: 'ok' }))).toBe(1);
      expect(sum(select(samples, 'keybridge_hsm_calls_total', { pool: 'pool-a', operation: 'wrapValue', outcome: 'ok' }))).toBe(3);
      expect(sum(select(samples, 'keybridge_hsm_call_duration_seconds_count', { pool: 'pool-a', operation: 'wrapValue', outcome: 'ok' }))).toBe(3);
      for (const pool of poolsOfStack()) {
        expect(select(samples, 'keybridge_hsm_sessions', { pool: pool.name }).map((s) => s.value)).toEqual([pool.sessions]);
        const inUse = select(samples, 'keybridge_hsm_sessions_in_use', { pool: pool.name });
        expect(inUse).toHaveLength(1);
        expect(inUse[0].value).toBeGreaterThanOrEqual(0);
        expect(inUse[0].value).toBeLessThanOrEqual(pool.sessions);
        expect(select(samples, 'keybridge_hsm_session_waiters', { pool: pool.name })).toHaveLength(1);
      }
    });

    it('measures ledger appends (latency and entries per statement)', async () => {
      const { samples } = await scrape(`${gatewayUrl}/metrics`);
      const statements = sum(select(samples, 'keybridge_ledger_append_duration_seconds_count', { outcome: 'ok' }));
      const entries = sum(select(samples, 'keybridge_ledger_append_batch_size_sum'));
      // createVault, setGrant, createKey, 3 wrapKey, the failure and the denial (and nothing else of this process).
      expect(entries).toBe(8);
      expect(statements).toBeGreaterThanOrEqual(1);
      expect(statements).toBeLessThanOrEqual(entries);
      expect(sum(select(samples, 'keybridge_ledger_append_batch_size_count'))).toBe(statements);
      expect(sum(select(samples, 'keybridge_ledger_append_duration_seconds_sum'))).toBeGreaterThan(0);
    });

    it('registers exactly the names of the registry, and no key or vault name in any label', async () => {
      const { samples, text } = await scrape(`${gatewayUrl}/metrics`);
      const known = new Set(allPrometheusSeriesNames());
      const exposed = new Set(samples.map((s) => s.name).filter((n) => n.startsWith('keybridge_')));
      expect([...exposed].filter((n) => !known.has(n))).toEqual([]);
      const gatewayMetrics = Object.values(METRICS).filter((m: MetricDescriptor) => m.process === 'gateway+worker');
      expect(gatewayMetrics.flatMap((m) => prometheusSeriesNames(m)).filter((n) => !exposed.has(n))).toEqual([]);
      expect(text).not.toContain(vault);
      expect(text).not.toContain(keyName);
      expect(text).not.toContain(principalId);
    });

    it("the worker's exporter shows checkpoint lag, queue depth and job progress", async () => {
      const { samples } = await scrape(workerUrl);
      const lag = select(samples, 'keybridge_ledger_checkpoint_lag_entries');
      expect(lag).toHaveLength(1);
      expect(lag[0].value).toBeGreaterThanOrEqual(0);
      expect(select(samples, 'keybridge_ledger_checkpoint_age_seconds')).toHaveLength(1);
      const queues = new Set(select(samples, 'keybridge_queue_jobs', { state: 'waiting' }).map((s) => s.labels.queue));
      expect(queues.size).toBe(3);
      for (const status of ['running', 'paused', 'cancelled', 'completed', 'failed']) expect(select(samples, 'keybridge_rewrap_jobs', { status })).toHaveLength(1);
      for (const state of ['total', 'done', 'failed', 'skipped']) expect(select(samples, 'keybridge_rewrap_records', { state })).toHaveLength(1);
      for (const state of ['running', 'completed']) expect(select(samples, 'keybridge_migration_jobs', { state })).toHaveLength(1);
      for (const state of ['pending', 'done', 'failed', 'skipped']) expect(select(samples, 'keybridge_migration_items', { state })).toHaveLength(1);
      const workerMetrics = Object.values(METRICS).filter((m: MetricDescriptor) => m.process === 'worker');
      const exposed = new Set(samples.map((s) => s.name));
      expect(workerMetrics.flatMap((m) => prometheusSeriesNames(m)).filter((n) => !exposed.has(n))).toEqual([]);
      // Shared state: the same for every worker; the lag is bounded by the ledger's head.
      const db = await adminDatabase();
      try {
        const { rows } = await db.query<{ head: string }>('SELECT coalesce(max(seq), 0) AS head FROM ledger_entries');
        expect(lag[0].value).toBeLessThanOrEqual(Number(rows[0].head));
      } finally {
        await db.end();
      }
    });
  });

  describe('logs', () => {
    let requestLine: Record<string, unknown>;

    beforeAll(async () => {
      const response = await fetch(`${gatewayUrl}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'x-request-id': requestId },
        body: JSON.stringify({ query: ENCRYPT, variables: { k: { vault, name: keyName }, a: 'A256GCM', p: plaintext } }),
      });
      expect(response.status).toBe(200);
      expect(response.headers.get('x-request-id')).toBe(requestId);
      // The queue board takes a token in the query string once.
      const board = await fetch(`${gatewayUrl}/admin/queues?token=${encodeURIComponent(token)}`, { redirect: 'manual' });
      expect(board.status).toBe(303);
      for (let i = 0; i < 40 && !gateway.jsonLines().some((l) => l.request_id === requestId); i++) await new Promise((r) => setTimeout(r, 100));
      requestLine = gateway.jsonLines().find((l) => l.request_id === requestId && l.msg === 'request completed') ?? {};
    });

    it('writes JSON lines with level, time, service and message', () => {
      const lines = gateway.jsonLines();
      expect(lines.length).toBeGreaterThan(10);
      for (const line of lines) {
        expect(line).toMatchObject({ service: 'keybridge-gateway' });
        expect(typeof line.msg).toBe('string');
        expect(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).toContain(line.level);
        expect(Number.isNaN(Date.parse(String(line.time)))).toBe(false);
      }
      expect(lines.some((l) => String(l.msg).includes('GraphQL at http://'))).toBe(true);
      expect(worker.jsonLines().some((l) => l.service === 'keybridge-worker' && String(l.msg).includes('consuming queues'))).toBe(true);
    });

    it('logs each request with its request id, principal id, trace and span ids, status and time', () => {
      expect(requestLine).toMatchObject({ level: 'info', request_id: requestId, principal_id: principalId, res: { statusCode: 200 } });
      expect(requestLine.trace_id).toMatch(HEX32);
      expect(requestLine.span_id).toMatch(HEX16);
      expect(requestLine.req).toMatchObject({ method: 'POST', url: '/graphql' });
      expect(typeof requestLine.responseTime).toBe('number');
    });

    it('uses the same request and trace ids as the ledger entry of that request', async () => {
      const db = await adminDatabase();
      try {
        const { rows } = await db.query<{ operation: string; trace_id: string; principal_id: string }>(
          'SELECT operation, trace_id, principal_id FROM ledger_entries WHERE request_id = $1',
          [requestId],
        );
        expect(rows).toEqual([{ operation: 'encrypt', trace_id: requestLine.trace_id, principal_id: principalId }]);
      } finally {
        await db.end();
      }
    });

    it('prints neither the bearer token nor the plaintext variable nor the board token, anywhere on stdout or stderr', () => {
      const output = `${gateway.stdout}\n${gateway.stderr}`;
      const plainBytes = Buffer.from(plaintext, 'base64url');
      for (const needle of [token, encodeURIComponent(token), plaintext, plainBytes.toString('base64'), plainBytes.toString('hex')]) {
        expect(output.includes(needle)).toBe(false);
      }
      const boardLine = gateway.jsonLines().find((l) => String((l.req as { url?: string } | undefined)?.url ?? '').startsWith('/admin/queues'));
      expect(boardLine?.req).toMatchObject({ url: '/admin/queues?token=[REDACTED]' });
      expect(JSON.stringify(requestLine)).not.toMatch(/authorization|variables/i);
    });
  });
});
