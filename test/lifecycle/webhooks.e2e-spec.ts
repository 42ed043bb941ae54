import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SIGNATURE_HEADER, verifyWebhook } from '@keybridge/events';
import { admin, adminToken, createKey, GatewayClient, requireEnv, vaultWithOwner } from '@keybridge/testing';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { freePort, waitFor } from '../escrow/support';

const CREATE = 'mutation($i: CreateWebhookInput!) { createWebhook(input: $i) { id name url eventKinds vaults hasCaCertificate } }';
const DELIVERIES = 'query($w: String) { webhookDeliveries(webhook: $w) { state attempts lastStatus lastError eventKind } }';
const ROTATE = 'mutation($v: String!, $n: String!) { rotateKey(vault: $v, name: $n) { version } }';

interface Received {
  body: string;
  signature: string;
}

/** An HTTPS receiver on loopback with a self-signed certificate made here; answers `status`. */
class Receiver {
  readonly received: Received[] = [];
  private server: Server | undefined;
  status = 204;

  constructor(
    private readonly cert: { key: Buffer; cert: Buffer },
    readonly port: number,
  ) {}

  start(): Promise<void> {
    this.server = createServer(this.cert, (req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        this.received.push({ body, signature: String(req.headers[SIGNATURE_HEADER] ?? '') });
        res.writeHead(this.status).end();
      });
    });
    return new Promise((resolve) => this.server?.listen(this.port, '127.0.0.1', () => resolve()));
  }

  stop(): Promise<void> {
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

describe('webhooks: HMAC-signed HTTPS deliveries by the worker, retried with backoff, logged', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kb-hook-'));
  let cert: { key: Buffer; cert: Buffer };
  let vault: string;
  let owner: GatewayClient;
  const receivers: Receiver[] = [];
  const root = admin();
  const secret = randomBytes(32).toString('hex');

  beforeAll(async () => {
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
      '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
    ], { stdio: 'ignore' });
    cert = { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) };
    ({ vault, owner } = await vaultWithOwner('pool-a', 'hook'));
    await createKey(owner, { vault, name: 'kek', kty: 'oct', size: 256 });
  });
  afterAll(async () => {
    for (const r of receivers) await r.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function hook(name: string, receiver: Receiver): Promise<void> {
    await root.data(CREATE, {
      i: { name, url: `https://127.0.0.1:${receiver.port}/hook`, secret, eventKinds: ['KeyRotated'], vaults: [vault], caCertificate: cert.cert.toString() },
    });
  }

  it('refuses bad webhooks with INVALID_WEBHOOK and is admin-only', async () => {
    const base = { name: `h-${randomBytes(3).toString('hex')}`, url: 'https://127.0.0.1:1/x', secret, eventKinds: ['KeyRotated'] };
    for (const [change, code] of [
      [{ url: 'http://127.0.0.1:1/x' }, 'INVALID_WEBHOOK'],
      [{ url: 'not a url' }, 'INVALID_WEBHOOK'],
      [{ secret: 'short' }, 'INVALID_WEBHOOK'],
      [{ eventKinds: ['KeyStolen'] }, 'INVALID_WEBHOOK'],
      [{ eventKinds: [] }, 'INVALID_WEBHOOK'],
      [{ caCertificate: 'not a certificate' }, 'INVALID_WEBHOOK'],
      [{ name: 'Bad Name' }, 'INVALID_WEBHOOK'],
    ] as const) {
      expect((await root.request(CREATE, { i: { ...base, ...change } })).errors?.[0].extensions?.code).toBe(code);
    }
    expect((await owner.request(CREATE, { i: base })).errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const { webhooks } = await root.data<{ webhooks: Array<Record<string, unknown>> }>('{ webhooks { name url } }');
    expect(JSON.stringify(webhooks)).not.toContain(secret);
  });

  it('delivers a KeyRotated event signed with the secret; a receiver that is down gets it once it is up; a 410 is a recorded failure', async () => {
    const up = new Receiver(cert, await freePort());
    const late = new Receiver(cert, await freePort());
    const gone = new Receiver(cert, await freePort());
    gone.status = 410;
    receivers.push(up, late, gone);
    await up.start();
    await gone.start();
    const names = { up: `up-${randomBytes(3).toString('hex')}`, late: `late-${randomBytes(3).toString('hex')}`, gone: `gone-${randomBytes(3).toString('hex')}` };
    await hook(names.up, up);
    await hook(names.late, late);
    await hook(names.gone, gone);

    await owner.data(ROTATE, { v: vault, n: 'kek' });

    const delivered = await waitFor('the delivery', 30_000, async () => up.received[0]);
    expect(verifyWebhook(secret, delivered.body, delivered.signature, Math.floor(Date.now() / 1000))).toBe(true);
    expect(verifyWebhook('another secret of thirty-two chars!!', delivered.body, delivered.signature, Math.floor(Date.now() / 1000))).toBe(false);
    expect(JSON.parse(delivered.body)).toMatchObject({ type: 'KeyRotated', vault, key: 'kek', version: 2, kid: `/vaults/${vault}/keys/kek/2` });

    // The late receiver was refusing connections: attempts are recorded, then it comes up and gets the event.
    await waitFor('a failed attempt', 30_000, async () => {
      const { webhookDeliveries } = await root.data<{ webhookDeliveries: Array<{ attempts: number; lastError: string | null }> }>(DELIVERIES, { w: names.late });
      return webhookDeliveries[0]?.attempts >= 1 ? true : undefined;
    });
    await late.start();
    await waitFor('the retried delivery', 60_000, async () => late.received[0]);
    const { webhookDeliveries: lateLog } = await root.data<{ webhookDeliveries: Array<{ state: string; attempts: number; lastStatus: number }> }>(DELIVERIES, { w: names.late });
    await waitFor('the log to say delivered', 10_000, async () => {
      const { webhookDeliveries } = await root.data<{ webhookDeliveries: Array<{ state: string; attempts: number }> }>(DELIVERIES, { w: names.late });
      return webhookDeliveries[0].state === 'delivered' ? webhookDeliveries[0] : undefined;
    });
    expect(lateLog[0].attempts).toBeGreaterThanOrEqual(1);

    const failed = await waitFor('the permanent failure', 30_000, async () => {
      const { webhookDeliveries } = await root.data<{ webhookDeliveries: Array<{ state: string; attempts: number; lastStatus: number }> }>(DELIVERIES, { w: names.gone });
      return webhookDeliveries[0]?.state === 'failed' ? webhookDeliveries[0] : undefined;
    });
    expect(failed).toMatchObject({ state: 'failed', attempts: 1, lastStatus: 410 });
    expect(gone.received).toHaveLength(1);
  });

  it('streams events over the keyEventStream subscription (graphql-ws) and refuses principals without auditRead', async () => {
    const url = requireEnv('KEYBRIDGE_GATEWAY_URL').replace(/^http/, 'ws') + '/graphql';
    const client = createClient({ url, webSocketImpl: WebSocket, retryAttempts: 0, connectionParams: { Authorization: `Bearer ${adminToken()}` } });
    try {
      const stream = client.iterate<{ keyEventStream: { kind: string; vault: string; keyVersion: number; ledgerSeq: number } }>({
        query: 'subscription($v: [String!]) { keyEventStream(vaults: $v, kinds: ["KeyRotated"]) { kind vault keyVersion ledgerSeq } }',
        variables: { v: [vault] },
      });
      const first = stream.next();
      await new Promise((r) => setTimeout(r, 1500)); // the subscription starts from the newest event at subscribe time
      await owner.data(ROTATE, { v: vault, n: 'kek' });
      const { value } = await first;
      expect(value?.data?.keyEventStream).toMatchObject({ kind: 'KeyRotated', vault, keyVersion: 3 });
      await stream.return?.();
    } finally {
      await client.dispose();
    }
    const plain = createClient({ url, webSocketImpl: WebSocket, retryAttempts: 0, connectionParams: { Authorization: `Bearer ${owner.token}` } });
    try {
      const refused = plain.iterate({ query: 'subscription { keyEventStream { kind } }' });
      const { value } = await refused.next();
      expect((value as { errors?: Array<{ extensions?: { code?: string } }> }).errors?.[0].extensions?.code).toBe('FORBIDDEN');
    } finally {
      await plain.dispose();
    }
  });
});
