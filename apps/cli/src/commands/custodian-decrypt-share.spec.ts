import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encryptShare, parseDecryptedShare, serializeCustodianShare } from '@keybridge/transfer/shares';
import { custodianDecryptShare, CustodianDecryptShareIo, CustodianDecryptShareOptions } from './custodian-decrypt-share';

const DOMAIN_ID = '5d0c9a8b-7e6f-4a3b-8c2d-1e0f9a8b7c6d';
const custodian = generateKeyPairSync('rsa', { modulusLength: 2048 });
const share = randomBytes(33);

describe('keybridge custodian decrypt-share', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kb-custodian-'));
  const path = (name: string): string => join(dir, name);
  let lines: string[];
  let stdout: string;
  let env: NodeJS.ProcessEnv;
  const io = (): CustodianDecryptShareIo => ({ log: (line) => lines.push(line), stdout: (text) => (stdout += text), env });
  const run = (options: Partial<CustodianDecryptShareOptions>): number =>
    custodianDecryptShare({ share: path('share.json'), key: path('pkcs8.pem'), out: path(`out-${randomBytes(4).toString('hex')}.json`), ...options }, io());

  writeFileSync(path('share.json'), serializeCustodianShare(encryptShare({ domainId: DOMAIN_ID, domainName: 'payments', index: 4, threshold: 3, share, custodianKey: custodian.publicKey })));
  writeFileSync(path('pkcs8.pem'), custodian.privateKey.export({ format: 'pem', type: 'pkcs8' }));
  writeFileSync(path('pkcs1.pem'), custodian.privateKey.export({ format: 'pem', type: 'pkcs1' }));
  writeFileSync(path('encrypted.pem'), custodian.privateKey.export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: 'correct horse' }));
  writeFileSync(path('encrypted-pkcs1.pem'), custodian.privateKey.export({ format: 'pem', type: 'pkcs1', cipher: 'aes-256-cbc', passphrase: 'correct horse' }));
  writeFileSync(path('other.pem'), generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'pem', type: 'pkcs8' }));
  writeFileSync(path('public.pem'), custodian.publicKey.export({ format: 'pem', type: 'spki' }));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  beforeEach(() => {
    lines = [];
    stdout = '';
    env = { CUSTODIAN_PASSPHRASE: 'correct horse', WRONG_PASSPHRASE: 'incorrect horse' };
  });

  /** stderr only: stdout carries the share by design with --out -. */
  const noSecretPrinted = (): void => {
    for (const line of lines) {
      expect(line).not.toContain(share.toString('base64url'));
      expect(line).not.toContain(share.toString('hex'));
    }
  };

  it.each<[string, { key: string; passphraseEnv?: string }]>([
    ['a PKCS#8 key', { key: 'pkcs8.pem' }],
    ['a PKCS#1 key', { key: 'pkcs1.pem' }],
    ['an encrypted PKCS#8 key and its passphrase from the environment', { key: 'encrypted.pem', passphraseEnv: 'CUSTODIAN_PASSPHRASE' }],
    ['an encrypted PKCS#1 key and its passphrase from the environment', { key: 'encrypted-pkcs1.pem', passphraseEnv: 'CUSTODIAN_PASSPHRASE' }],
  ])('writes the decrypted share 0600 with %s', (_name, { key, passphraseEnv }) => {
    const out = path(`decrypted-${key}`);
    expect(run({ key: path(key), passphraseEnv, out })).toBe(0);
    expect(parseDecryptedShare(readFileSync(out, 'utf8'))).toEqual({ format: 'keybridge.decrypted-share', version: 1, domainId: DOMAIN_ID, index: 4, share });
    expect(statSync(out).mode & 0o777).toBe(0o600);
    expect(lines).toEqual([`decrypted share 4 of security domain ${DOMAIN_ID}; wrote ${out} (0600)`]);
    noSecretPrinted();
  });

  it('writes to stdout with --out -', () => {
    expect(run({ out: '-' })).toBe(0);
    expect(stdout.endsWith('\n')).toBe(true);
    expect(parseDecryptedShare(stdout.trimEnd()).share).toEqual(share);
    expect(lines).toEqual([`decrypted share 4 of security domain ${DOMAIN_ID}; wrote stdout`]);
    noSecretPrinted();
  });

  it.each<[string, () => Partial<CustodianDecryptShareOptions>, RegExp]>([
    ['another custodian’s key', () => ({ key: path('other.pem') }), /not the custodian key this share was encrypted to/],
    ['a public key instead of the private key', () => ({ key: path('public.pem') }), /not a PKCS#8 or PKCS#1 PEM private key/],
    ['an encrypted key without --passphrase-env', () => ({ key: path('encrypted.pem') }), /is encrypted: name the environment variable/],
    ['an encrypted PKCS#1 key without --passphrase-env', () => ({ key: path('encrypted-pkcs1.pem') }), /is encrypted: name the environment variable/],
    ['a wrong passphrase', () => ({ key: path('encrypted.pem'), passphraseEnv: 'WRONG_PASSPHRASE' }), /cannot read the private key .*wrong passphrase/],
    ['an unset passphrase variable', () => ({ key: path('encrypted.pem'), passphraseEnv: 'NOT_SET' }), /environment variable NOT_SET is not set/],
    ['a missing share file', () => ({ share: path('missing.json') }), /cannot read the share file .*ENOENT/],
    ['a file that is not a share', () => {
      writeFileSync(path('not-a-share.json'), '{"hello":"world"}');
      return { share: path('not-a-share.json') };
    }, /not an encrypted custodian share/],
    ['a tampered share', () => {
      const file = JSON.parse(readFileSync(path('share.json'), 'utf8')) as { ciphertext: string };
      const ciphertext = Buffer.from(file.ciphertext, 'base64url');
      ciphertext[10] ^= 0x80;
      writeFileSync(path('tampered.json'), JSON.stringify({ ...file, ciphertext: ciphertext.toString('base64url') }));
      return { share: path('tampered.json') };
    }, /does not decrypt with the custodian key/],
    ['an existing --out file', () => {
      writeFileSync(path('exists.json'), 'old', { mode: 0o644 });
      return { out: path('exists.json') };
    }, /exists.json already exists/],
  ])('returns 1 for %s', (_name, options, message) => {
    const chosen = options();
    const out = chosen.out ?? path(`refused-${randomBytes(4).toString('hex')}.json`);
    expect(run({ ...chosen, out })).toBe(1);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
    expect(stdout).toBe('');
    if (chosen.out === undefined) expect(existsSync(out)).toBe(false);
    else expect(readFileSync(out, 'utf8')).toBe('old');
    noSecretPrinted();
  });
});
