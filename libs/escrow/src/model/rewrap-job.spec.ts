import { checkDekBits, checkLabels, checkOwner } from './escrow-record';
import { progressOf, RewrapJob } from './rewrap-job';

function job(patch: Partial<RewrapJob>): RewrapJob {
  const at = new Date('2026-01-01T00:00:00Z');
  return {
    id: 'j',
    status: 'running',
    queue: 'q',
    createdBy: 'p',
    traceParent: null,
    source: { vaultId: 'v', vault: 'v', keyId: 'k', key: 'k', fromVersions: [1], belowVersion: null, owner: null, labels: null },
    target: { vaultId: 'v', vault: 'v', keyId: 'k', key: 'k', version: 2, algorithm: 'CKM_AES_KEY_WRAP_PAD' },
    batchSize: 100,
    maxRatePerSecond: null,
    slots: 4,
    snapshotSeq: 1000,
    total: 1000,
    done: 0,
    failed: 0,
    skipped: 0,
    activeMs: 0,
    runningSince: at,
    errorCode: null,
    kickGeneration: 0,
    createdAt: at,
    updatedAt: at,
    finishedAt: null,
    ...patch,
  };
}

describe('re-wrap progress', () => {
  it('rate counts running time only; ETA follows from the remaining records', () => {
    const p = progressOf(job({ done: 380, failed: 10, skipped: 10, activeMs: 30_000, runningSince: new Date('2026-01-01T00:00:10Z') }), new Date('2026-01-01T00:00:20Z'));
    expect(p).toEqual({ total: 1000, done: 380, failed: 10, skipped: 10, remaining: 600, ratePerSecond: 10, etaSeconds: 60 });
  });

  it('has no ETA while paused, and a zero rate before anything ran', () => {
    expect(progressOf(job({ status: 'paused', runningSince: null, activeMs: 10_000, done: 100 }), new Date()).etaSeconds).toBeNull();
    const fresh = job({});
    expect(progressOf(fresh, fresh.createdAt)).toMatchObject({ ratePerSecond: 0, etaSeconds: null, remaining: 1000 });
  });
});

describe('record metadata checks', () => {
  it.each<[string, () => unknown]>([
    ['empty owner', () => checkOwner('')],
    ['owner over 256 characters', () => checkOwner('x'.repeat(257))],
    ['16 labels', () => checkLabels(Array.from({ length: 16 }, (_, i) => ({ name: `n${i}`, value: '' })))],
    ['a label given twice', () => checkLabels([{ name: 'a', value: '1' }, { name: 'a', value: '2' }])],
    ['an empty label name', () => checkLabels([{ name: '', value: '1' }])],
    ['bits 512', () => checkDekBits(512)],
  ])('refuses %s with INVALID_ARGUMENT', (_name, check) => {
    expect(check).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  it('keeps labels as a name → value map', () => {
    expect(checkLabels([{ name: 'env', value: 'prod' }, { name: 'team', value: '' }])).toEqual({ env: 'prod', team: '' });
    expect(checkDekBits(192)).toBe(192);
  });
});
