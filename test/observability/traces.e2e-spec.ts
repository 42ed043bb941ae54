import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { CollectedSpan, OtlpCollector } from './otlp-collector';
import { adminDatabase, createKey, freePort, GatewayClient, httpOk, stopProcess, vaultWithOwner } from '@keybridge/testing';
import { PrivateRedis, waitFor, workerEnv, Workers } from '../escrow/support';

const ROOT = join(__dirname, '..', '..');
const WRAP = 'mutation($v: String!) { wrapKey(key: { vault: $v, name: "kek" }, algorithm: "A256KW", value: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA") { kid } }';
const GENERATE = 'mutation($i: GenerateDataKeyInput!) { generateDataKey(input: $i) { record { id } } }';
const START = 'mutation($v: String!) { startRewrapJob(selector: { vault: $v, key: "kek", fromVersions: [1] }, target: { vault: $v, key: "kek" }, batchSize: 10) { id status } }';

/**
 * One trace per request across gateway → Postgres → HSM, and gateway → BullMQ → worker: a private gateway and worker
 * export their spans (OTLP/HTTP JSON) to a collector inside this test.
 */
describe('traces', () => {
  const collector = new OtlpCollector();
  let redis: PrivateRedis;
  let workers: Workers;
  let gateway: ChildProcess | undefined;
  let gatewayUrl: string;
  let output = '';

  beforeAll(async () => {
    const collectorPort = await freePort();
    await collector.start(collectorPort);
    redis = new PrivateRedis(await freePort());
    await redis.start();
    const queue = `traces-${Date.now()}`;
    const otel = {
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `http://127.0.0.1:${collectorPort}/v1/traces`,
      OTEL_BSP_SCHEDULE_DELAY: '200',
      OTEL_METRICS_EXPORTER: 'none',
      OTEL_LOGS_EXPORTER: 'none',
    };
    const env = workerEnv(redis.url, queue, { ...otel, KEYBRIDGE_MIGRATION_QUEUE: `${queue}-m`, KEYBRIDGE_WEBHOOK_QUEUE: `${queue}-w` });
    workers = new Workers({ ...env, OTEL_SERVICE_NAME: 'keybridge-worker-test' });
    const port = await freePort();
    gatewayUrl = `http://127.0.0.1:${port}`;
    gateway = spawn(process.execPath, [join(ROOT, 'dist', 'apps', 'gateway', 'src', 'main.js')], {
      env: { ...env, PORT: String(port), HOST: '127.0.0.1', OTEL_SERVICE_NAME: 'keybridge-gateway-test' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    gateway.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    gateway.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    await waitFor(`the private gateway (${output.slice(-500)})`, 60_000, async () => ((await httpOk(`${gatewayUrl}/health/ready`)) ? true : undefined));
    await workers.spawn();
  }, 120_000);

  afterAll(async () => {
    await stopProcess(gateway);
    await workers?.stopAll();
    await redis?.stop();
    await collector.stop();
  }, 60_000);

  const trace = (traceId: string): CollectedSpan[] => collector.spans.filter((s) => s.traceId === traceId);

  it('a GraphQL wrapKey is one trace with graphql, pg and hsm spans (HSM spans carry pool, mechanism and outcome)', async () => {
    const { vault, owner } = await vaultWithOwner('pool-a', 'traces');
    await createKey(owner, { vault, name: 'kek', kty: 'oct', size: 256 });
    const client = new GatewayClient(owner.token, `${gatewayUrl}/graphql`);
    await client.data(WRAP, { v: vault });
    const hsm = await waitFor('the wrapValue span', 30_000, async () => collector.spans.find((s) => s.name === 'hsm.wrapValue' && s.service === 'keybridge-gateway-test'));
    expect(hsm.attributes).toMatchObject({ 'hsm.pool': 'pool-a', 'hsm.operation': 'wrapValue', 'hsm.outcome': 'ok' });
    expect(String(hsm.attributes['hsm.mechanism'])).toContain('AES_KEY_WRAP');
    await waitFor('the rest of the trace', 30_000, async () => {
      const spans = trace(hsm.traceId);
      const has = (pattern: RegExp, scope: RegExp): boolean => spans.some((s) => pattern.test(s.name) && scope.test(s.scope));
      return has(/./, /graphql/) && has(/./, /pg/) && has(/^hsm\./, /keybridge\.hsm/) ? true : undefined;
    });
    // Never key material in span attributes: the value wrapped above is not there.
    expect(JSON.stringify(trace(hsm.traceId))).not.toContain('AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
  });

  it("a re-wrap job's batch spans in the worker link to the request that started the job", async () => {
    const { vault, owner } = await vaultWithOwner('pool-a', 'traces-job');
    await createKey(owner, { vault, name: 'kek', kty: 'oct', size: 256 });
    const client = new GatewayClient(owner.token, `${gatewayUrl}/graphql`);
    for (let i = 0; i < 12; i++) await client.data(GENERATE, { i: { vault, key: 'kek', bits: 256, owner: 'traces' } });
    await client.data('mutation($v: String!) { rotateKey(vault: $v, name: "kek") { version } }', { v: vault });
    const { startRewrapJob } = await client.data<{ startRewrapJob: { id: string } }>(START, { v: vault });
    // The job keeps the request's W3C traceparent; the request's own spans are in the collector under that trace id.
    const db = await adminDatabase();
    const { rows } = await db.query<{ trace_parent: string }>('SELECT trace_parent FROM rewrap_jobs WHERE id = $1', [startRewrapJob.id]);
    await db.end();
    const requestTrace = rows[0].trace_parent.split('-')[1];
    await waitFor('the startRewrapJob request spans', 30_000, async () => (trace(requestTrace).some((s) => s.service === 'keybridge-gateway-test' && /pg/.test(s.scope)) ? true : undefined));
    const batches = await waitFor('linked batch spans', 60_000, async () => {
      const found = collector.spans.filter((s) => s.name === 'rewrap.batch' && s.attributes['rewrap.job'] === startRewrapJob.id);
      return found.length > 0 ? found : undefined;
    });
    for (const batch of batches) {
      expect(batch.service).toBe('keybridge-worker-test');
      expect(batch.links.map((l) => l.traceId)).toEqual([requestTrace]);
    }
    // The batch's own HSM and Postgres work are its children.
    const children = collector.spans.filter((s) => s.traceId === batches[0].traceId && s.spanId !== batches[0].spanId);
    expect(children.some((s) => s.name.startsWith('hsm.'))).toBe(true);
  });
});
