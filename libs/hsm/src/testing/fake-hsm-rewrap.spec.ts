import { HsmKeyRef, KeyUsage } from '../hsm.port';
import { FakeHsm } from './fake-hsm';

const ALL: KeyUsage = { encrypt: true, decrypt: true, wrap: true, unwrap: true, sign: false, verify: false };
const KWP = { name: 'AES_KEY_WRAP_PAD' } as const;

describe('FakeHsm generateDataKey / rewrap (same rules as the adapter)', () => {
  let hsm: FakeHsm;
  let a: HsmKeyRef;
  let b: HsmKeyRef;
  let other: HsmKeyRef;
  let ec: HsmKeyRef;
  let wrapOnly: HsmKeyRef;

  beforeEach(async () => {
    hsm = new FakeHsm([{ name: 'pool-a' }, { name: 'pool-b' }]);
    const make = async (pool: string, objectId: string, usage = ALL): Promise<HsmKeyRef> =>
      (await hsm.generateKey({ pool, objectId, label: objectId, spec: { kty: 'oct', bits: 256 }, usage, exportable: false })).ref;
    a = await make('pool-a', 'aa');
    b = await make('pool-a', 'bb');
    other = await make('pool-b', 'cc');
    wrapOnly = await make('pool-a', 'dd', { ...ALL, unwrap: false });
    ec = (await hsm.generateKey({ pool: 'pool-a', objectId: 'ee', label: 'ee', spec: { kty: 'EC', curve: 'P-256' }, usage: { ...ALL, encrypt: false, decrypt: false, wrap: false, unwrap: false, sign: true, verify: true }, exportable: false })).ref;
  });

  it('a generated data key unwraps to its value; a rewrapped one too, under the target', async () => {
    const dek = await hsm.generateDataKey(a, KWP, 32);
    expect(dek.value).toHaveLength(32);
    expect(await hsm.unwrapValue(a, KWP, dek.wrapped)).toEqual(dek.value);
    const moved = await hsm.rewrap(a, KWP, dek.wrapped, b, KWP);
    expect(await hsm.unwrapValue(b, KWP, moved)).toEqual(dek.value);
    await expect(hsm.unwrapValue(a, KWP, moved)).rejects.toMatchObject({ code: 'HSM_INVALID_INPUT' });
  });

  it('rewrapBatch fails items one by one', async () => {
    const good = await hsm.generateDataKey(a, KWP, 16);
    const results = await hsm.rewrapBatch(a, KWP, [good.wrapped, Buffer.alloc(40, 1), Buffer.alloc(5)], b, KWP);
    expect(results.map((r) => (r.ok ? 'ok' : r.error.code))).toEqual(['ok', 'HSM_INVALID_INPUT', 'HSM_INVALID_INPUT']);
  });

  it.each<[string, () => Promise<unknown>, string]>([
    ['a target in another pool', () => hsm.rewrapBatch(a, KWP, [Buffer.alloc(40)], other, KWP), 'UNSUPPORTED_BY_HSM'],
    ['an EC source', () => hsm.rewrapBatch(ec, KWP, [Buffer.alloc(40)], b, KWP), 'HSM_OPERATION_NOT_PERMITTED'],
    ['a source without unwrap', () => hsm.rewrapBatch(wrapOnly, KWP, [Buffer.alloc(40)], b, KWP), 'HSM_OPERATION_NOT_PERMITTED'],
    ['an unknown key', () => hsm.rewrapBatch(a, KWP, [Buffer.alloc(40)], { pool: 'pool-a', objectId: 'ff' }, KWP), 'HSM_OBJECT_NOT_FOUND'],
    ['a mechanism that cannot unwrap', () => hsm.rewrapBatch(a, { name: 'AES_GCM', iv: Buffer.alloc(12), aad: Buffer.alloc(0) }, [Buffer.alloc(40)], b, KWP), 'HSM_INVALID_INPUT'],
    ['a data key of 20 bytes', () => hsm.generateDataKey(a, KWP, 20), 'HSM_INVALID_INPUT'],
  ])('refuses %s', async (_name, call, code) => {
    await expect(call()).rejects.toMatchObject({ code });
  });
});
