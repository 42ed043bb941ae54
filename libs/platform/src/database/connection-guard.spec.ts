import { holdingConnection, NestedConnectionError, outsideTransaction } from './connection-guard';
import { GroupCommit } from './group-commit';

describe('connection guard', () => {
  it('refuses a group commit from inside a transaction, and allows it outside', async () => {
    const group = new GroupCommit(async (items: number[]) => items.map((i) => i * 2), 10);
    await expect(holdingConnection('a transaction', async () => group.submit(1))).rejects.toThrow(NestedConnectionError);
    await expect(holdingConnection('a transaction', async () => outsideTransaction(() => group.submit(2)))).resolves.toBe(4);
    await expect(group.submit(3)).resolves.toBe(6);
  });
});

describe('GroupCommit', () => {
  it('writes the items submitted together in one batch, in order', async () => {
    const batches: number[][] = [];
    const group = new GroupCommit(async (items: number[]) => {
      batches.push(items);
      return items.map((i) => i + 100);
    }, 10);
    await expect(Promise.all([1, 2, 3].map((i) => group.submit(i)))).resolves.toEqual([101, 102, 103]);
    expect(batches).toEqual([[1, 2, 3]]);
  });

  it('splits at the batch size', async () => {
    const batches: number[][] = [];
    const group = new GroupCommit(async (items: number[]) => (batches.push(items), items), 2);
    await Promise.all([1, 2, 3, 4, 5].map((i) => group.submit(i)));
    expect(batches).toEqual([[1, 2], [3, 4], [5]]);
  });

  it('writes a refused batch again item by item, so only the bad item fails', async () => {
    const batches: number[][] = [];
    const group = new GroupCommit(async (items: number[]) => {
      batches.push(items);
      if (items.includes(13)) throw Object.assign(new Error('refused'), { code: '23505' });
      return items;
    }, 10);
    const results = await Promise.allSettled([12, 13, 14].map((i) => group.submit(i)));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(batches).toEqual([[12, 13, 14], [12], [13], [14]]);
  });

  it('does not retry after a lost connection: the batch may have committed unseen', async () => {
    let calls = 0;
    const group = new GroupCommit(async () => {
      calls += 1;
      throw new Error('Connection terminated unexpectedly');
    }, 10);
    const results = await Promise.allSettled([1, 2].map((i) => group.submit(i)));
    expect(results.every((r) => r.status === 'rejected')).toBe(true);
    expect(calls).toBe(1);
  });
});
