import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import {
  custodianKeyFingerprint,
  CustodianShare,
  decryptCustodianShare,
  encryptShare,
  parseCustodianPublicKey,
  parseCustodianShare,
  parseDecryptedShare,
  serializeCustodianShare,
  serializeDecryptedShare,
  ShareFormatError,
  ShareFormatErrorReason,
} from './custodian-share.format';

const custodian = generateKeyPairSync('rsa', { modulusLength: 2048 });
const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
const DOMAIN_ID = '0b7f3c2e-5a41-4d8e-9c6f-2f1e0d3c4b5a';
const share = randomBytes(33);

function encrypted(): CustodianShare {
  return encryptShare({ domainId: DOMAIN_ID, domainName: 'payments-eu', index: 2, threshold: 3, share, custodianKey: custodian.publicKey });
}

function reasonOf(action: () => unknown): ShareFormatErrorReason | string {
  try {
    action();
  } catch (error: unknown) {
    if (error instanceof ShareFormatError) {
      expect(error.message).not.toContain(share.toString('base64url'));
      expect(error.message).not.toContain(share.toString('hex'));
      return error.reason;
    }
    return `not a ShareFormatError: ${String(error)}`;
  }
  return 'no error';
}

describe('custodian share formats', () => {
  it('encrypts a share that only the custodian key opens, and round-trips the decrypted share', () => {
    const text = serializeCustodianShare(encrypted());
    const file = JSON.parse(text) as Record<string, unknown>;
    expect(Object.keys(file)).toEqual(['format', 'version', 'domainId', 'domainName', 'index', 'threshold', 'custodianKeySha256', 'oaepHash', 'ciphertext']);
    expect(file).toMatchObject({ format: 'keybridge.custodian-share', version: 1, domainId: DOMAIN_ID, domainName: 'payments-eu', index: 2, threshold: 3, oaepHash: 'SHA-256' });
    expect(file.custodianKeySha256).toBe(createHash('sha256').update(custodian.publicKey.export({ format: 'der', type: 'spki' })).digest('hex'));
    expect(Buffer.from(file.ciphertext as string, 'base64url')).toHaveLength(256);
    expect(text).not.toContain(share.toString('base64url'));

    const decrypted = decryptCustodianShare(text, custodian.privateKey);
    expect(decrypted).toEqual({ format: 'keybridge.decrypted-share', version: 1, domainId: DOMAIN_ID, index: 2, share });
    const handed = serializeDecryptedShare(decrypted);
    expect(JSON.parse(handed)).toEqual({ format: 'keybridge.decrypted-share', version: 1, domainId: DOMAIN_ID, index: 2, share: share.toString('base64url') });
    expect(parseDecryptedShare(handed)).toEqual(decrypted);
  });

  it('encrypts with fresh randomness (OAEP) each time', () => {
    expect(encrypted().ciphertext).not.toBe(encrypted().ciphertext);
  });

  it('names the custodian key by the same fingerprint from its public or private half', () => {
    expect(custodianKeyFingerprint(custodian.privateKey)).toBe(custodianKeyFingerprint(custodian.publicKey));
    expect(custodianKeyFingerprint(other.publicKey)).not.toBe(custodianKeyFingerprint(custodian.publicKey));
  });

  it('refuses another private key as not the custodian key, before decrypting', () => {
    const text = serializeCustodianShare(encrypted());
    expect(reasonOf(() => decryptCustodianShare(text, other.privateKey))).toBe('wrongCustodianKey');
    expect(() => decryptCustodianShare(text, other.privateKey)).toThrow(/not the custodian key this share was encrypted to/);
    expect(reasonOf(() => decryptCustodianShare(text, generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey))).toBe('wrongCustodianKey');
  });

  it.each<[string, (ciphertext: Buffer) => Buffer]>([
    ['one flipped bit', (ciphertext) => Buffer.concat([ciphertext.subarray(0, 100), Buffer.from([ciphertext[100] ^ 0x01]), ciphertext.subarray(101)])],
    ['a truncated ciphertext', (ciphertext) => ciphertext.subarray(1)],
    ['another share’s ciphertext under another key', () => Buffer.from(encryptShare({ domainId: DOMAIN_ID, domainName: 'x', index: 1, threshold: 2, share, custodianKey: other.publicKey }).ciphertext, 'base64url')],
  ])('refuses a tampered ciphertext (%s) as undecryptable', (_name, tamper) => {
    const file = encrypted();
    const text = serializeCustodianShare({ ...file, ciphertext: tamper(Buffer.from(file.ciphertext, 'base64url')).toString('base64url') });
    expect(reasonOf(() => decryptCustodianShare(text, custodian.privateKey))).toBe('decrypt');
  });

  it.each<[string, (file: Record<string, unknown>) => unknown, ShareFormatErrorReason]>([
    ['another format', (file) => ({ ...file, format: 'keybridge.decrypted-share' }), 'format'],
    ['version 2', (file) => ({ ...file, version: 2 }), 'version'],
    ['another OAEP hash', (file) => ({ ...file, oaepHash: 'SHA-1' }), 'field'],
    ['an uppercase fingerprint', (file) => ({ ...file, custodianKeySha256: (file.custodianKeySha256 as string).toUpperCase() }), 'field'],
    ['a threshold of 1', (file) => ({ ...file, threshold: 1 }), 'field'],
    ['an extra member', (file) => ({ ...file, label: 'x' }), 'field'],
  ])('refuses an encrypted share with %s', (_name, change, reason) => {
    const text = JSON.stringify(change(JSON.parse(serializeCustodianShare(encrypted())) as Record<string, unknown>));
    expect(reasonOf(() => decryptCustodianShare(text, custodian.privateKey))).toBe(reason);
    expect(reasonOf(() => parseCustodianShare(text))).toBe(reason);
  });

  it('refuses to encrypt what it could not parse back', () => {
    expect(reasonOf(() => encryptShare({ domainId: 'not-a-uuid', domainName: 'd', index: 1, threshold: 3, share, custodianKey: custodian.publicKey }))).toBe('field');
    expect(reasonOf(() => encryptShare({ domainId: DOMAIN_ID, domainName: 'd', index: 256, threshold: 3, share, custodianKey: custodian.publicKey }))).toBe('field');
    expect(reasonOf(() => encryptShare({ domainId: DOMAIN_ID, domainName: 'd', index: 1, threshold: 3, share: Buffer.alloc(1), custodianKey: custodian.publicKey }))).toBe('field');
    expect(reasonOf(() => encryptShare({ domainId: DOMAIN_ID, domainName: 'd', index: 1, threshold: 3, share, custodianKey: custodian.privateKey }))).toBe('custodianKey');
  });

  describe('parseDecryptedShare', () => {
    const good = { format: 'keybridge.decrypted-share', version: 1, domainId: DOMAIN_ID, index: 3, share: share.toString('base64url') };
    const json = (over: Record<string, unknown>): string => JSON.stringify({ ...good, ...over });
    const without = (member: string): string => JSON.stringify(Object.fromEntries(Object.entries(good).filter(([key]) => key !== member)));

    it('accepts the format exactly', () => {
      expect(parseDecryptedShare(JSON.stringify(good))).toEqual({ ...good, share });
    });

    it.each<[string, string, ShareFormatErrorReason]>([
      ['not JSON', 'share: abc', 'format'],
      ['empty input', '', 'format'],
      ['a JSON array', JSON.stringify([good]), 'format'],
      ['JSON null', 'null', 'format'],
      ['another format', json({ format: 'keybridge.custodian-share' }), 'format'],
      ['no format', without('format'), 'format'],
      ['version 2', json({ version: 2 }), 'version'],
      ['version "1"', json({ version: '1' }), 'version'],
      ['no version', without('version'), 'version'],
      ['no domainId', without('domainId'), 'field'],
      ['no share', without('share'), 'field'],
      ['no index', without('index'), 'field'],
      ['an extra member', json({ threshold: 3 }), 'field'],
      ['an extra __proto__ member', JSON.stringify(good).replace('{', '{"__proto__":{"x":1},'), 'field'],
      ['a domainId that is not a uuid', json({ domainId: 'payments-eu' }), 'field'],
      ['a domainId with braces', json({ domainId: `{${DOMAIN_ID}}` }), 'field'],
      ['index 0', json({ index: 0 }), 'field'],
      ['index 256', json({ index: 256 }), 'field'],
      ['index 1.5', json({ index: 1.5 }), 'field'],
      ['index "3"', json({ index: '3' }), 'field'],
      ['a share in standard base64', json({ share: `${share.toString('base64')}+/=` }), 'field'],
      ['a share with padding', json({ share: `${share.toString('base64url')}=` }), 'field'],
      ['a share of non-canonical base64url', json({ share: 'AAB' }), 'field'],
      ['a share of 5 base64url characters', json({ share: 'AAAAA' }), 'field'],
      ['an empty share', json({ share: '' }), 'field'],
      ['a one-byte share', json({ share: Buffer.alloc(1).toString('base64url') }), 'field'],
      ['a 257-byte share', json({ share: randomBytes(257).toString('base64url') }), 'field'],
      ['a share that is a number', json({ share: 12345 }), 'field'],
      ['oversized input', json({ share: 'A'.repeat(20_000) }), 'format'],
    ])('refuses %s', (_name, text, reason) => {
      expect(reasonOf(() => parseDecryptedShare(text))).toBe(reason);
    });

    it('never quotes the input in its messages', () => {
      const hostile = json({ [share.toString('base64url')]: 1, share: `${share.toString('base64url')}!` });
      expect(() => parseDecryptedShare(hostile)).toThrow(ShareFormatError);
      expect(reasonOf(() => parseDecryptedShare(hostile))).toBe('field');
    });
  });

  describe('parseCustodianPublicKey', () => {
    it('accepts an SPKI PEM and a public JWK of RSA-2048', () => {
      const pem = custodian.publicKey.export({ format: 'pem', type: 'spki' }).toString();
      expect(custodianKeyFingerprint(parseCustodianPublicKey(pem))).toBe(custodianKeyFingerprint(custodian.publicKey));
      expect(custodianKeyFingerprint(parseCustodianPublicKey(`\n${pem}\n`))).toBe(custodianKeyFingerprint(custodian.publicKey));
      const jwk = JSON.stringify(custodian.publicKey.export({ format: 'jwk' }));
      expect(custodianKeyFingerprint(parseCustodianPublicKey(jwk))).toBe(custodianKeyFingerprint(custodian.publicKey));
    });

    it.each<[string, () => string]>([
      ['RSA-1024', () => generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'pem', type: 'spki' }).toString()],
      ['RSA-1024 as a JWK', () => JSON.stringify(generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'jwk' }))],
      ['an EC P-256 key', () => generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ format: 'pem', type: 'spki' }).toString()],
      ['an EC JWK', () => JSON.stringify(generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey.export({ format: 'jwk' }))],
      ['an Ed25519 key', () => generateKeyPairSync('ed25519').publicKey.export({ format: 'pem', type: 'spki' }).toString()],
      ['an RSA-PSS key', () => generateKeyPairSync('rsa-pss', { modulusLength: 2048 }).publicKey.export({ format: 'pem', type: 'spki' }).toString()],
      ['a PKCS#1 public key', () => custodian.publicKey.export({ format: 'pem', type: 'pkcs1' }).toString()],
      ['a private key PEM', () => custodian.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString()],
      ['a private JWK', () => JSON.stringify(custodian.privateKey.export({ format: 'jwk' }))],
      ['a symmetric JWK', () => JSON.stringify({ kty: 'oct', k: randomBytes(32).toString('base64url') })],
      ['a damaged PEM', () => '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----'],
      ['not JSON', () => '{ kty: RSA'],
      ['empty text', () => ''],
    ])('refuses %s', (_name, text) => {
      expect(reasonOf(() => parseCustodianPublicKey(text()))).toBe('custodianKey');
    });

    it('says why an RSA-1024 key is refused', () => {
      expect(() => parseCustodianPublicKey(generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'pem', type: 'spki' }).toString())).toThrow(
        /RSA-2048 or larger, not RSA-1024/,
      );
    });
  });
});
