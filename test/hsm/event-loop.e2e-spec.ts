import { constants, createPublicKey, publicEncrypt, randomBytes } from 'node:crypto';
import { GrapheneHsmAdapter, HsmKeyRef, PublicKeyJwk } from '@keybridge/hsm';
import { newObjectId, poolOf, testPools } from './hsm-pools';

/** Largest gap between ticks of a 1 ms interval while `work` runs. */
async function worstTickGap(work: () => Promise<void>): Promise<{ maxGapMs: number; ticks: number }> {
  let last = process.hrtime.bigint();
  let maxGapMs = 0;
  let ticks = 0;
  const timer = setInterval(() => {
    const now = process.hrtime.bigint();
    maxGapMs = Math.max(maxGapMs, Number(now - last) / 1e6);
    last = now;
    ticks++;
  }, 1);
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  return { maxGapMs, ticks };
}

// A responsiveness check, not a speed one: synchronous PKCS#11 calls would stall the loop for the whole batch
// (the spike measured 0.7-1.1 s for 300 RSA unwraps); the *Async calls leave it free.
describe('event loop', () => {
  const pool = poolOf(testPools(), 'softhsm2');
  let hsm: GrapheneHsmAdapter;
  let key: HsmKeyRef;
  let publicJwk: PublicKeyJwk;

  beforeAll(async () => {
    hsm = await GrapheneHsmAdapter.open([pool]);
    const generated = await hsm.generateKey({
      pool: pool.name,
      objectId: newObjectId(),
      label: 'kb-test-event-loop',
      spec: { kty: 'RSA', bits: 3072 },
      usage: { encrypt: true, decrypt: true, wrap: false, unwrap: false, sign: false, verify: false },
      exportable: false,
    });
    key = generated.ref;
    publicJwk = generated.publicJwk as PublicKeyJwk;
  });
  afterAll(async () => {
    await hsm.destroyKey(key);
    await hsm.close();
  });

  it('keeps ticking while 200 RSA-3072 OAEP decrypts run concurrently', async () => {
    const publicKey = createPublicKey({ key: publicJwk, format: 'jwk' });
    const secrets = Array.from({ length: 200 }, () => randomBytes(32));
    const ciphertexts = secrets.map((s) => publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, s));
    await hsm.decrypt(key, { name: 'RSA_OAEP', hash: 'SHA-1' }, ciphertexts[0]); // warm the handle cache
    let results: Buffer[] = [];
    const started = Date.now();
    const { maxGapMs, ticks } = await worstTickGap(async () => {
      results = await Promise.all(ciphertexts.map((c) => hsm.decrypt(key, { name: 'RSA_OAEP', hash: 'SHA-1' }, c)));
    });
    const elapsed = Date.now() - started;
    expect(results).toEqual(secrets);
    expect(elapsed).toBeGreaterThan(100); // the batch is long enough for a blocked loop to show
    expect(ticks).toBeGreaterThan(elapsed / 10);
    expect(maxGapMs).toBeLessThan(100);
  });
});
