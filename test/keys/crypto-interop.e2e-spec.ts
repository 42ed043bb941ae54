import { constants, createHash, createPublicKey, JsonWebKey, publicEncrypt, randomBytes, verify } from 'node:crypto';
import { createKey, GatewayClient, KeyResult, vaultWithOwner } from '@keybridge/testing';

const b64u = (b: Buffer): string => b.toString('base64url');
const unb64u = (s: string): Buffer => Buffer.from(s, 'base64url');
const KEY = (vault: string, name: string, version?: string) => ({ vault, name, version });

async function call<T>(client: GatewayClient, mutation: string, vars: Record<string, unknown>): Promise<T> {
  return client.data<T>(mutation, vars);
}

const SIGN = 'mutation($k: KeyRefInput!, $a: String!, $d: String!) { sign(key: $k, algorithm: $a, digest: $d) { kid algorithm value } }';
const VERIFY = 'mutation($k: KeyRefInput!, $a: String!, $d: String!, $s: String!) { verify(key: $k, algorithm: $a, digest: $d, signature: $s) { valid } }';
const WRAP = 'mutation($k: KeyRefInput!, $a: String!, $v: String!) { wrapKey(key: $k, algorithm: $a, value: $v) { kid value } }';
const UNWRAP = 'mutation($k: KeyRefInput!, $a: String!, $v: String!) { unwrapKey(key: $k, algorithm: $a, value: $v) { kid value } }';
const ENCRYPT = 'mutation($k: KeyRefInput!, $a: String!, $p: String!, $iv: String, $aad: String) { encrypt(key: $k, algorithm: $a, plaintext: $p, iv: $iv, aad: $aad) { value iv tag } }';
const DECRYPT = 'mutation($k: KeyRefInput!, $a: String!, $c: String!, $iv: String, $aad: String, $t: String) { decrypt(key: $k, algorithm: $a, ciphertext: $c, iv: $iv, aad: $aad, tag: $t) { value } }';

function publicKeyOf(key: KeyResult) {
  const { kid: _kid, key_ops: _ops, ...jwk } = Object.fromEntries(Object.entries(key.jwk).filter(([, v]) => v !== null)) as Record<string, string>;
  return createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' });
}

describe.each(['pool-a', 'pool-n'])('cryptography through the gateway, checked by node:crypto (%s)', (pool) => {
  let vault: string;
  let owner: GatewayClient;
  const keys: Record<string, KeyResult> = {};

  beforeAll(async () => {
    ({ vault, owner } = await vaultWithOwner(pool, 'crypto'));
    keys.rsa = await createKey(owner, { vault, name: 'rsa', kty: 'RSA', size: 2048 });
    keys.p256 = await createKey(owner, { vault, name: 'p256', kty: 'EC', curve: 'P-256' });
    keys.p384 = await createKey(owner, { vault, name: 'p384', kty: 'EC', curve: 'P-384' });
    keys.p521 = await createKey(owner, { vault, name: 'p521', kty: 'EC', curve: 'P-521' });
    keys.aes = await createKey(owner, { vault, name: 'aes', kty: 'oct', size: 256 });
    keys.aes128 = await createKey(owner, { vault, name: 'aes128', kty: 'oct', size: 128 });
  });

  it.each([
    ['RS256', 'rsa', 'sha256', {}],
    ['RS384', 'rsa', 'sha384', {}],
    ['RS512', 'rsa', 'sha512', {}],
    ['PS256', 'rsa', 'sha256', { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }],
    ['PS384', 'rsa', 'sha384', { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 48 }],
    ['PS512', 'rsa', 'sha512', { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 64 }],
    ['ES256', 'p256', 'sha256', { dsaEncoding: 'ieee-p1363' }],
    ['ES384', 'p384', 'sha384', { dsaEncoding: 'ieee-p1363' }],
    ['ES512', 'p521', 'sha512', { dsaEncoding: 'ieee-p1363' }],
  ] as const)('%s signatures verify with node:crypto and the JWK; verify through the gateway agrees', async (alg, keyName, hash, options) => {
    const message = randomBytes(100);
    const digest = createHash(hash).update(message).digest();
    const { sign } = await call<{ sign: { kid: string; value: string } }>(owner, SIGN, { k: KEY(vault, keyName), a: alg, d: b64u(digest) });
    expect(sign.kid).toBe(keys[keyName].kid);
    const signature = unb64u(sign.value);
    expect(verify(hash, message, { key: publicKeyOf(keys[keyName]), ...options }, signature)).toBe(true);

    const ok = await call<{ verify: { valid: boolean } }>(owner, VERIFY, { k: KEY(vault, keyName), a: alg, d: b64u(digest), s: sign.value });
    expect(ok.verify.valid).toBe(true);
    const tampered = Buffer.from(signature);
    tampered[5] ^= 1;
    const bad = await call<{ verify: { valid: boolean } }>(owner, VERIFY, { k: KEY(vault, keyName), a: alg, d: b64u(digest), s: b64u(tampered) });
    expect(bad.verify.valid).toBe(false);
  });

  it('RSA-OAEP (SHA-1) from node:crypto with the JWK unwraps through the gateway', async () => {
    const secret = randomBytes(32);
    const wrapped = publicEncrypt({ key: publicKeyOf(keys.rsa), padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, secret);
    const { unwrapKey } = await call<{ unwrapKey: { value: string } }>(owner, UNWRAP, { k: KEY(vault, 'rsa'), a: 'RSA_OAEP', v: b64u(wrapped) });
    expect(unb64u(unwrapKey.value)).toEqual(secret);
  });

  it('RSA-OAEP-256 from node:crypto unwraps where the module can (NSS) and is UNSUPPORTED_BY_HSM naming the pool where it cannot (SoftHSM 2.6.1)', async () => {
    const secret = randomBytes(32);
    const wrapped = publicEncrypt({ key: publicKeyOf(keys.rsa), padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, secret);
    const result = await owner.request<{ unwrapKey: { value: string } }>(UNWRAP, { k: KEY(vault, 'rsa'), a: 'RSA_OAEP_256', v: b64u(wrapped) });
    if (pool === 'pool-a') {
      expect(result.errors?.[0].extensions?.code).toBe('UNSUPPORTED_BY_HSM');
      expect(result.errors?.[0].message).toContain('pool-a');
    } else {
      expect(unb64u(result.data?.unwrapKey.value ?? '')).toEqual(secret);
    }
  });

  it.each(['RSA_OAEP', 'RSA1_5'])('%s wrapKey (public operation) round-trips through unwrapKey', async (alg) => {
    const secret = randomBytes(32);
    const { wrapKey } = await call<{ wrapKey: { value: string } }>(owner, WRAP, { k: KEY(vault, 'rsa'), a: alg, v: b64u(secret) });
    expect(unb64u(wrapKey.value)).toHaveLength(256);
    const { unwrapKey } = await call<{ unwrapKey: { value: string } }>(owner, UNWRAP, { k: KEY(vault, 'rsa'), a: alg, v: wrapKey.value });
    expect(unb64u(unwrapKey.value)).toEqual(secret);
  });

  it('RSA-OAEP encrypt/decrypt round-trips', async () => {
    const data = randomBytes(40);
    const { encrypt } = await call<{ encrypt: { value: string } }>(owner, ENCRYPT, { k: KEY(vault, 'rsa'), a: 'RSA_OAEP', p: b64u(data) });
    const { decrypt } = await call<{ decrypt: { value: string } }>(owner, DECRYPT, { k: KEY(vault, 'rsa'), a: 'RSA_OAEP', c: encrypt.value });
    expect(unb64u(decrypt.value)).toEqual(data);
  });

  it('AES-KWP wraps a value whose length is not a multiple of 8 where the module can (NSS), else UNSUPPORTED_BY_HSM (SoftHSM 2.6.1)', async () => {
    const secret = randomBytes(33);
    const result = await owner.request<{ wrapKey: { value: string } }>(WRAP, { k: KEY(vault, 'aes'), a: 'CKM_AES_KEY_WRAP_PAD', v: b64u(secret) });
    if (pool === 'pool-a') {
      expect(result.errors?.[0].extensions?.code).toBe('UNSUPPORTED_BY_HSM');
      return;
    }
    const wrapped = result.data?.wrapKey.value ?? '';
    expect(unb64u(wrapped)).toHaveLength(48);
    const { unwrapKey } = await call<{ unwrapKey: { value: string } }>(owner, UNWRAP, { k: KEY(vault, 'aes'), a: 'CKM_AES_KEY_WRAP_PAD', v: wrapped });
    expect(unb64u(unwrapKey.value)).toEqual(secret);
  });

  it.each([
    ['CKM_AES_KEY_WRAP_PAD', 'aes', 32, 40],
    ['CKM_AES_KEY_WRAP_PAD', 'aes', 16, 24],
    ['A256KW', 'aes', 32, 40],
    ['A128KW', 'aes128', 16, 24],
  ])('%s wraps a %s-key value with the RFC length and unwraps it back', async (alg, keyName, size, wrappedLength) => {
    const secret = randomBytes(size);
    const { wrapKey } = await call<{ wrapKey: { value: string } }>(owner, WRAP, { k: KEY(vault, keyName), a: alg, v: b64u(secret) });
    expect(unb64u(wrapKey.value)).toHaveLength(wrappedLength);
    const { unwrapKey } = await call<{ unwrapKey: { value: string } }>(owner, UNWRAP, { k: KEY(vault, keyName), a: alg, v: wrapKey.value });
    expect(unb64u(unwrapKey.value)).toEqual(secret);
  });

  it('AES-GCM encrypts with a generated iv and aad, and a tampered tag fails with DECRYPTION_FAILED', async () => {
    const data = randomBytes(1000);
    const aad = b64u(Buffer.from('header'));
    const { encrypt } = await call<{ encrypt: { value: string; iv: string; tag: string } }>(owner, ENCRYPT, { k: KEY(vault, 'aes'), a: 'A256GCM', p: b64u(data), aad });
    expect(unb64u(encrypt.iv)).toHaveLength(12);
    expect(unb64u(encrypt.tag)).toHaveLength(16);
    const { decrypt } = await call<{ decrypt: { value: string } }>(owner, DECRYPT, { k: KEY(vault, 'aes'), a: 'A256GCM', c: encrypt.value, iv: encrypt.iv, aad, t: encrypt.tag });
    expect(unb64u(decrypt.value)).toEqual(data);
    const badTag = unb64u(encrypt.tag);
    badTag[0] ^= 1;
    expect(await owner.errorCode(DECRYPT, { k: KEY(vault, 'aes'), a: 'A256GCM', c: encrypt.value, iv: encrypt.iv, aad, t: b64u(badTag) })).toBe('DECRYPTION_FAILED');
  });
});
