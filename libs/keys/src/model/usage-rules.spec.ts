import { KeyRecord, KeyVersionRecord } from './key';
import { KeyOp } from './key-op';
import { assertUsable } from './usage-rules';

const now = new Date('2026-06-01T00:00:00Z');
const key = (over: Partial<KeyRecord> = {}): KeyRecord => ({
  id: 'k',
  vaultId: 'v',
  vaultName: 'v',
  name: 'n',
  spec: { kty: 'oct', bits: 256 },
  keyOps: [KeyOp.encrypt, KeyOp.decrypt, KeyOp.wrapKey, KeyOp.unwrapKey],
  tags: {},
  exportable: false,
  latestVersion: 2,
  minDecryptVersion: 1,
  createdAt: now,
  updatedAt: now,
  deletedAt: null,
  scheduledPurgeAt: null,
  ...over,
});
const version = (over: Partial<KeyVersionRecord> = {}): KeyVersionRecord => ({
  keyId: 'k',
  version: 2,
  pool: 'pool-a',
  hsmObjectId: 'ab',
  enabled: true,
  nbf: null,
  exp: null,
  origin: 'generated',
  publicJwk: null,
  createdAt: now,
  updatedAt: now,
  ...over,
});
const past = new Date('2026-01-01T00:00:00Z');
const future = new Date('2027-01-01T00:00:00Z');

describe('assertUsable (Azure Key Vault date-time rules, key_ops, version floor)', () => {
  it.each([
    ['a disabled version', key(), version({ enabled: false }), KeyOp.decrypt, 'KEY_DISABLED'],
    ['an op missing from key_ops', key({ keyOps: [KeyOp.encrypt] }), version(), KeyOp.wrapKey, 'OPERATION_NOT_ALLOWED'],
    ['a version below minDecryptVersion', key({ minDecryptVersion: 3 }), version(), KeyOp.decrypt, 'OPERATION_NOT_ALLOWED'],
    ['encrypt before nbf', key(), version({ nbf: future }), KeyOp.encrypt, 'KEY_NOT_YET_VALID'],
    ['wrapKey after exp', key(), version({ exp: past }), KeyOp.wrapKey, 'KEY_EXPIRED'],
    ['wrapKey exactly at exp', key(), version({ exp: now }), KeyOp.wrapKey, 'KEY_EXPIRED'],
  ])('refuses %s', (_name, k, v, op, code) => {
    expect(() => assertUsable(k, v, op, now)).toThrow(expect.objectContaining({ code }));
  });

  it.each([KeyOp.decrypt, KeyOp.unwrapKey])('allows %s outside nbf/exp', (op) => {
    expect(() => assertUsable(key(), version({ exp: past }), op, now)).not.toThrow();
    expect(() => assertUsable(key(), version({ nbf: future }), op, now)).not.toThrow();
  });

  it('allows verify on an expired EC key', () => {
    const ec = key({ spec: { kty: 'EC', curve: 'P-256' }, keyOps: [KeyOp.sign, KeyOp.verify] });
    expect(() => assertUsable(ec, version({ exp: past }), KeyOp.verify, now)).not.toThrow();
    expect(() => assertUsable(ec, version({ exp: past }), KeyOp.sign, now)).toThrow(expect.objectContaining({ code: 'KEY_EXPIRED' }));
  });
});
