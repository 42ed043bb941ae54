import { createHash, createPublicKey, verify } from 'node:crypto';
import { FULL_USAGE, HsmKeyRef, KeySpec, NSS_CAPABILITIES, PublicKeyJwk, SOFTHSM2_CAPABILITIES } from '@keybridge/hsm';
import { FakeHsm } from '@keybridge/hsm/testing';
import { TransferErrorCode } from '../transfer.errors';
import { KeyMover } from './key-mover';

const hsm = (): FakeHsm =>
  new FakeHsm([
    { name: 'soft-a', capabilities: SOFTHSM2_CAPABILITIES },
    { name: 'soft-b', capabilities: SOFTHSM2_CAPABILITIES },
    { name: 'nss', capabilities: NSS_CAPABILITIES, allowPinOnlyExport: true },
    { name: 'nss-strict', capabilities: NSS_CAPABILITIES },
    { name: 'no-oaep', capabilities: { ...SOFTHSM2_CAPABILITIES, oaepHashes: [] } },
  ]);

async function keyIn(fake: FakeHsm, pool: string, spec: KeySpec, exportable = true): Promise<{ ref: HsmKeyRef; publicJwk: PublicKeyJwk | null }> {
  const key = await fake.generateKey({ pool, objectId: Math.random().toString(16).slice(2).padEnd(16, '0'), label: 't', spec, usage: FULL_USAGE[spec.kty], exportable });
  return { ref: key.ref, publicJwk: key.publicJwk ?? null };
}

describe('KeyMover', () => {
  it.each<[string, string, string, KeySpec, boolean, string]>([
    ['no common OAEP hash', 'no-oaep', 'soft-b', { kty: 'oct', bits: 256 }, true, 'RSA-OAEP hash'],
    ['a curve the target lacks', 'soft-a', 'nss', { kty: 'EC', curve: 'secp256k1' }, true, 'cannot hold EC secp256k1'],
    ['an exportable key into a pool that refuses them', 'soft-a', 'nss-strict', { kty: 'oct', bits: 256 }, true, 'cannot hold exportable keys'],
    ['an unknown pool', 'soft-a', 'nowhere', { kty: 'oct', bits: 256 }, true, 'no HSM pool'],
  ])('plan refuses %s (TRANSFER_NOT_POSSIBLE)', (_case, source, target, spec, exportable, message) => {
    expect(() => new KeyMover(hsm()).plan(source, target, spec, exportable)).toThrow(expect.objectContaining({ code: TransferErrorCode.TRANSFER_NOT_POSSIBLE, message: expect.stringContaining(message) }));
  });

  it('negotiates SHA-1 with SoftHSM and SHA-256 between NSS pools', () => {
    const mover = new KeyMover(hsm());
    expect(mover.plan('soft-a', 'nss', { kty: 'oct', bits: 256 }, true).oaepHash).toBe('SHA-1');
    expect(mover.plan('nss', 'nss', { kty: 'oct', bits: 256 }, true).oaepHash).toBe('SHA-256');
  });

  it.each<[string, KeySpec]>([
    ['AES-256', { kty: 'oct', bits: 256 }],
    ['RSA-2048', { kty: 'RSA', bits: 2048 }],
    ['EC P-256', { kty: 'EC', curve: 'P-256' }],
  ])('moves %s versions, proves them the same, records the SO use first', async (_name, spec) => {
    const fake = hsm();
    const v1 = await keyIn(fake, 'soft-a', spec);
    const v2 = await keyIn(fake, 'soft-a', spec);
    const events: string[] = [];
    const exportKeys = fake.exportKeys.bind(fake);
    jest.spyOn(fake, 'exportKeys').mockImplementation(async (request) => {
      events.push('export');
      return exportKeys(request);
    });
    const result = await new KeyMover(fake).move({
      sourcePool: 'soft-a',
      targetPool: 'nss',
      spec,
      exportable: true,
      versions: [
        { version: 1, ...v1 },
        { version: 2, ...v2 },
      ],
      label: (v) => `t/${v}`,
      beforeSecurityOfficer: async () => void events.push('ledger'),
    });
    expect(events).toEqual(['ledger', 'export']);
    expect(result.moved.map((m) => m.version)).toEqual([1, 2]);
    expect(result.securityOfficerUsed).toBe(true);
    if (spec.kty === 'oct') {
      expect(result.moved[0].checkValue).toBe((await fake.keyCheckValue(v1.ref)).subarray(0, 3).toString('hex'));
    } else {
      expect(result.moved[1].publicJwk).toEqual(v2.publicJwk);
    }
    if (spec.kty === 'EC') {
      const digest = createHash('sha256').update('m').digest();
      const signature = await fake.sign(result.moved[0].ref, { name: 'ECDSA' }, digest);
      expect(verify('sha256', Buffer.from('m'), { key: createPublicKey({ key: v1.publicJwk as PublicKeyJwk, format: 'jwk' }), dsaEncoding: 'ieee-p1363' }, signature)).toBe(true);
    }
    const objects = (await Promise.all([v1.ref, v2.ref, ...result.moved.map((m) => m.ref)].map((ref) => fake.exists(ref)))).every(Boolean);
    expect(objects).toBe(true);
  });

  it('makes one transport key per target pool for many moves, and destroys it at shutdown', async () => {
    const fake = hsm();
    const generate = jest.spyOn(fake, 'generateKey');
    const destroy = jest.spyOn(fake, 'destroyKey');
    const mover = new KeyMover(fake);
    const move = async (): Promise<void> => {
      const key = await keyIn(fake, 'soft-a', { kty: 'oct', bits: 256 });
      await mover.move({ sourcePool: 'soft-a', targetPool: 'soft-b', spec: { kty: 'oct', bits: 256 }, exportable: true, versions: [{ version: 1, ...key }], label: () => 't', beforeSecurityOfficer: async () => undefined });
    };
    generate.mockClear();
    await Promise.all([move(), move(), move()]);
    const transports = generate.mock.calls.filter(([request]) => request.pool === 'soft-b');
    expect(transports).toHaveLength(1);
    expect(destroy).not.toHaveBeenCalled();
    await mover.onModuleDestroy();
    expect(destroy.mock.calls.map(([ref]) => ref)).toEqual([{ pool: 'soft-b', objectId: transports[0][0].objectId }]);
  });

  it('refuses a non-exportable key at the HSM and leaves nothing in the target', async () => {
    const fake = hsm();
    const key = await keyIn(fake, 'soft-a', { kty: 'oct', bits: 256 }, false);
    const destroyed: string[] = [];
    const destroy = fake.destroyKey.bind(fake);
    jest.spyOn(fake, 'destroyKey').mockImplementation(async (ref) => {
      destroyed.push(ref.pool);
      return destroy(ref);
    });
    await expect(
      new KeyMover(fake).move({
        sourcePool: 'soft-a',
        targetPool: 'soft-b',
        spec: { kty: 'oct', bits: 256 },
        exportable: false,
        versions: [{ version: 1, ...key }],
        label: () => 't',
        beforeSecurityOfficer: async () => undefined,
      }),
    ).rejects.toMatchObject({ code: 'EXPORT_REFUSED' });
    expect(destroyed).toEqual(['soft-b']); // the transport key
  });

  it('keeps nothing when a moved version is not the same key (TRANSFER_VERIFICATION_FAILED)', async () => {
    const fake = hsm();
    const v1 = await keyIn(fake, 'soft-a', { kty: 'oct', bits: 256 });
    const v2 = await keyIn(fake, 'soft-a', { kty: 'oct', bits: 256 });
    const kcv = fake.keyCheckValue.bind(fake);
    jest.spyOn(fake, 'keyCheckValue').mockImplementation(async (ref) => (ref.pool === 'soft-b' && ref.objectId.length === 32 ? Buffer.alloc(16, 7) : kcv(ref)));
    const imported: HsmKeyRef[] = [];
    const importWrappedKey = fake.importWrappedKey.bind(fake);
    jest.spyOn(fake, 'importWrappedKey').mockImplementation(async (request) => {
      const key = await importWrappedKey(request);
      imported.push(key.ref);
      return key;
    });
    await expect(
      new KeyMover(fake).move({
        sourcePool: 'soft-a',
        targetPool: 'soft-b',
        spec: { kty: 'oct', bits: 256 },
        exportable: true,
        versions: [
          { version: 1, ...v1 },
          { version: 2, ...v2 },
        ],
        label: () => 't',
        beforeSecurityOfficer: async () => undefined,
      }),
    ).rejects.toMatchObject({ code: TransferErrorCode.TRANSFER_VERIFICATION_FAILED });
    for (const ref of imported) expect(await fake.exists(ref)).toBe(false);
  });
});
