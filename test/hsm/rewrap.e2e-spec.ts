import { GrapheneHsmAdapter, HsmKeyRef, KeyUsage } from '@keybridge/hsm';
import { newObjectId, poolOf, testPools } from './hsm-pools';

const AES: KeyUsage = { encrypt: true, decrypt: true, wrap: true, unwrap: true, sign: false, verify: false };
const RSA: KeyUsage = { encrypt: true, decrypt: true, wrap: true, unwrap: true, sign: false, verify: false };
const KWP = { name: 'AES_KEY_WRAP_PAD' } as const;
const KW = { name: 'AES_KEY_WRAP' } as const;
const OAEP = { name: 'RSA_OAEP', hash: 'SHA-1' } as const;

/** generateDataKey / rewrap / rewrapBatch on the real modules (SoftHSM 2.6.1 and NSS softokn). */
describe('HSM re-wrap on real pools', () => {
  let hsm: GrapheneHsmAdapter;
  const made: HsmKeyRef[] = [];

  beforeAll(async () => {
    hsm = await GrapheneHsmAdapter.open(testPools());
  });

  afterAll(async () => {
    for (const ref of made) await hsm.destroyKey(ref);
    await hsm.close();
  });

  const key = async (pool: string, spec: { kty: 'oct'; bits: 256 } | { kty: 'RSA'; bits: 2048 }, usage = spec.kty === 'oct' ? AES : RSA): Promise<HsmKeyRef> => {
    const { ref } = await hsm.generateKey({ pool, objectId: newObjectId(), label: 'rewrap-test', spec, usage, exportable: false });
    made.push(ref);
    return ref;
  };

  it.each(['softhsm2', 'nss'] as const)('%s: a data key made in the HSM moves between keys and still unwraps to its value', async (vendor) => {
    const pool = poolOf(testPools(), vendor).name;
    const [a, b] = [await key(pool, { kty: 'oct', bits: 256 }), await key(pool, { kty: 'oct', bits: 256 })];
    const dek = await hsm.generateDataKey(a, KWP, 32);
    expect(await hsm.unwrapValue(a, KWP, dek.wrapped)).toEqual(dek.value);
    for (const allowBlocking of [false, true]) {
      const [moved] = await hsm.rewrapBatch(a, KWP, [dek.wrapped], b, KWP, { allowBlocking });
      if (!moved.ok) throw moved.error;
      expect(await hsm.unwrapValue(b, KWP, moved.wrapped)).toEqual(dek.value);
    }
    const kw = await hsm.rewrap(a, KWP, dek.wrapped, b, KW);
    expect(await hsm.unwrapValue(b, KW, kw)).toEqual(dek.value);
  });

  it('softhsm2: RSA-OAEP wrapped keys move to AES and back', async () => {
    const pool = poolOf(testPools(), 'softhsm2').name;
    const rsa = await key(pool, { kty: 'RSA', bits: 2048 });
    const aes = await key(pool, { kty: 'oct', bits: 256 });
    const dek = await hsm.generateDataKey(rsa, OAEP, 16);
    expect(dek.wrapped).toHaveLength(256);
    const toAes = await hsm.rewrap(rsa, OAEP, dek.wrapped, aes, KWP);
    const back = await hsm.rewrap(aes, KWP, toAes, rsa, OAEP);
    expect(await hsm.unwrapValue(rsa, OAEP, back)).toEqual(dek.value);
  });

  it('fails items one by one, refuses other pools and keys without the usage', async () => {
    const pools = testPools();
    const soft = poolOf(pools, 'softhsm2').name;
    const other = pools.find((p) => p.vendor === 'softhsm2' && p.name !== soft)?.name as string;
    const [a, b] = [await key(soft, { kty: 'oct', bits: 256 }), await key(soft, { kty: 'oct', bits: 256 })];
    const noUnwrap = await key(soft, { kty: 'oct', bits: 256 }, { ...AES, unwrap: false });
    const elsewhere = await key(other, { kty: 'oct', bits: 256 });
    const good = await hsm.generateDataKey(a, KWP, 24);
    const results = await hsm.rewrapBatch(a, KWP, [good.wrapped, Buffer.alloc(40, 7), Buffer.alloc(12)], b, KWP, { allowBlocking: true });
    expect(results.map((r) => (r.ok ? 'ok' : r.error.code))).toEqual(['ok', 'HSM_INVALID_INPUT', 'HSM_INVALID_INPUT']);
    await expect(hsm.rewrapBatch(a, KWP, [good.wrapped], elsewhere, KWP)).rejects.toMatchObject({ code: 'UNSUPPORTED_BY_HSM' });
    await expect(hsm.rewrapBatch(noUnwrap, KWP, [good.wrapped], b, KWP)).rejects.toMatchObject({ code: 'HSM_OPERATION_NOT_PERMITTED' });
    await expect(hsm.generateDataKey(a, KWP, 20)).rejects.toMatchObject({ code: 'HSM_INVALID_INPUT' });
  });
});
