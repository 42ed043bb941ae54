import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPoolsFile, PoolConfig, readSecret } from '@keybridge/hsm';
import { GatewayClient, KEY_FIELDS, KeyResult, requireEnv } from '@keybridge/testing';

export const TK_FIELDS = `kid vault pool size status keyOps oaepHashes maxUses uses createdAt expiresAt lastUsedAt revokedAt destroyedAt publicKeyPem
  jwk { kid kty key_ops n e } attestation { format alg payload signature attestationKid attestationPublicKeyPem }`;

export interface TransportKeyResult {
  kid: string;
  vault: string;
  pool: string;
  size: number;
  status: string;
  keyOps: string[];
  oaepHashes: string[];
  maxUses: number;
  uses: number;
  createdAt: string;
  expiresAt: string;
  revokedAt: string | null;
  destroyedAt: string | null;
  publicKeyPem: string;
  jwk: { kid: string; kty: string; key_ops: string[]; n: string; e: string };
  attestation: { format: string; alg: string; payload: string; signature: string; attestationKid: string; attestationPublicKeyPem: string };
}

export const CREATE_TK = `mutation($i: CreateTransportKeyInput!) { createTransportKey(input: $i) { ${TK_FIELDS} } }`;
export const IMPORT = `mutation($i: ImportKeyInput!) { importKey(input: $i) { ${KEY_FIELDS} } }`;

export async function createTransportKey(client: GatewayClient, vault: string, options: { size?: number; maxUses?: number; expiresIn?: number } = {}): Promise<TransportKeyResult> {
  const { createTransportKey } = await client.data<{ createTransportKey: TransportKeyResult }>(CREATE_TK, { i: { vault, size: 2048, ...options } });
  return createTransportKey;
}

export async function importKey(client: GatewayClient, input: Record<string, unknown>): Promise<KeyResult> {
  const { importKey } = await client.data<{ importKey: KeyResult }>(IMPORT, { i: input });
  return importKey;
}

/** A temporary directory for openssl and CLI files; `done()` removes it. */
export class Workdir {
  readonly dir = mkdtempSync(join(tmpdir(), 'kb-byok-'));
  path(name: string): string {
    return join(this.dir, name);
  }
  write(name: string, data: string | Buffer): string {
    writeFileSync(this.path(name), data);
    return this.path(name);
  }
  read(name: string): Buffer {
    return readFileSync(this.path(name));
  }
  done(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export function openssl(...args: string[]): Buffer {
  return execFileSync('openssl', args, { stdio: ['ignore', 'pipe', 'pipe'] });
}

export type Target = 'aes128' | 'aes192' | 'aes256' | 'rsa2048' | 'rsa3072' | 'rsa1024' | 'p256' | 'p384' | 'p521' | 'k256' | 'p224';

/**
 * Target key material made by the openssl CLI: `<name>.bin` (AES raw) or `<name>.pem` + `<name>.der` (PKCS#8 via
 * `openssl pkcs8 -topk8 -nocrypt -outform DER`) + `<name>.pub.pem`.
 */
export function opensslTarget(work: Workdir, name: Target): void {
  if (name.startsWith('aes')) {
    openssl('rand', '-out', work.path(`${name}.bin`), String(Number(name.slice(3)) / 8));
    return;
  }
  const params: Record<string, string[]> = {
    rsa1024: ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:1024'],
    rsa2048: ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'],
    rsa3072: ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:3072'],
    p256: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'],
    p384: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-384'],
    p521: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-521'],
    k256: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:secp256k1'],
    p224: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:secp224r1'],
  };
  openssl('genpkey', ...params[name], '-out', work.path(`${name}.pem`));
  openssl('pkcs8', '-topk8', '-nocrypt', '-outform', 'DER', '-in', work.path(`${name}.pem`), '-out', work.path(`${name}.der`));
  openssl('pkey', '-in', work.path(`${name}.pem`), '-pubout', '-out', work.path(`${name}.pub.pem`));
}

/** The openssl recipe of the README: rand 32 → pkeyutl OAEP → enc -id-aes256-wrap-pad → concatenate. */
export function opensslBlob(work: Workdir, transportPem: string, targetFile: string, hash: 'sha1' | 'sha256'): Buffer {
  const tag = Math.random().toString(36).slice(2);
  const ephemeral = work.path(`eph-${tag}.bin`);
  openssl('rand', '-out', ephemeral, '32');
  const rsaPart = openssl(
    'pkeyutl', '-encrypt', '-pubin', '-inkey', transportPem, '-in', ephemeral,
    '-pkeyopt', 'rsa_padding_mode:oaep', '-pkeyopt', `rsa_oaep_md:${hash}`, '-pkeyopt', `rsa_mgf1_md:${hash}`,
  );
  const kwpPart = openssl('enc', '-id-aes256-wrap-pad', '-iv', 'A65959A6', '-K', readFileSync(ephemeral).toString('hex'), '-in', targetFile);
  rmSync(ephemeral);
  return Buffer.concat([rsaPart, kwpPart]);
}

export function pool(name: string): PoolConfig {
  const found = loadPoolsFile(requireEnv('KEYBRIDGE_POOLS_FILE')).find((p) => p.name === name);
  if (!found) throw new Error(`${name} is not configured`);
  return found;
}

/** What OpenSC's pkcs11-tool, a client we did not write, sees on the token: the object blocks with that label. */
export function objectsLabelled(config: PoolConfig, label: string): string[] {
  const list = (): string =>
    execFileSync('pkcs11-tool', ['--module', config.module, '--token-label', config.tokenLabel, '--login', '--pin', readSecret(config.pin, 'PIN'), '--list-objects'], {
      env: { ...process.env, ...config.environment },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  let listing: string;
  try {
    listing = list();
  } catch {
    // SoftHSM now and then shows a process no token while another process rewrites the token directory (the same
    // start-up race the adapter retries): one more look after a pause.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300);
    listing = list();
  }
  return listing.split(/\n(?=\S)/).filter((block) => new RegExp(`label:\\s+${label.replace(/[/.-]/g, '\\$&')}\\n`).test(`${block}\n`));
}

export const access = (block: string | undefined): string[] =>
  (/Access:\s*(.*)/.exec(block ?? '')?.[1] ?? '').split(',').map((s) => s.trim()).filter(Boolean);

export const usage = (block: string | undefined): string[] =>
  (/Usage:\s*(.*)/.exec(block ?? '')?.[1] ?? '').split(',').map((s) => s.trim()).filter(Boolean);

/** ECDSA r || s → DER, for openssl's verifiers. */
export function derSignature(rs: Buffer): Buffer {
  const half = rs.length / 2;
  const integer = (b: Buffer): Buffer => {
    let i = 0;
    while (i < b.length - 1 && b[i] === 0) i++;
    let v = b.subarray(i);
    if (v[0] & 0x80) v = Buffer.concat([Buffer.from([0]), v]);
    return Buffer.concat([Buffer.from([0x02, v.length]), v]);
  };
  const body = Buffer.concat([integer(rs.subarray(0, half)), integer(rs.subarray(half))]);
  const length = body.length < 128 ? Buffer.from([body.length]) : Buffer.from([0x81, body.length]);
  return Buffer.concat([Buffer.from([0x30]), length, body]);
}

export function cli(...args: string[]): { status: number; stderr: string } {
  const result = spawnSync(process.execPath, [join(__dirname, '..', '..', 'dist', 'apps', 'cli', 'src', 'main.js'), ...args], { encoding: 'utf8' });
  return { status: result.status ?? 1, stderr: `${result.stdout}${result.stderr}` };
}
