import { randomBytes } from 'node:crypto';
import { combineShares, splitSecret } from './shamir';

function subsets<T>(items: T[], size: number): T[][] {
  if (size === 0) return [[]];
  if (items.length < size) return [];
  const [first, ...rest] = items;
  return [...subsets(rest, size - 1).map((subset) => [first, ...subset]), ...subsets(rest, size)];
}

describe('Shamir split and combine', () => {
  const secret = randomBytes(32);

  it.each([
    [2, 3],
    [3, 5],
    [3, 3],
    [4, 7],
    [5, 9],
  ])('any %i of %i shares give back the secret, fewer give something else', async (threshold, count) => {
    const shares = await splitSecret(secret, count, threshold);
    expect(shares).toHaveLength(count);
    for (const share of shares) expect(share).toHaveLength(secret.length + 1);
    for (const subset of subsets(shares, threshold)) {
      expect(await combineShares(subset)).toEqual(secret);
      expect(await combineShares([...subset].reverse())).toEqual(secret);
    }
    expect(await combineShares(shares)).toEqual(secret);
    if (threshold - 1 >= 2) {
      for (const subset of subsets(shares, threshold - 1)) expect(await combineShares(subset)).not.toEqual(secret);
    } else {
      await expect(combineShares(shares.slice(0, 1))).rejects.toThrow('at least 2 shares');
    }
  });

  it('gives a different secret when one byte of a share is flipped', async () => {
    const shares = await splitSecret(secret, 5, 3);
    const tampered = Buffer.from(shares[1]);
    tampered[7] ^= 0x01;
    const combined = await combineShares([shares[0], tampered, shares[2]]);
    expect(combined).not.toEqual(secret);
    expect(combined.subarray(0, 7)).toEqual(secret.subarray(0, 7));
  });

  it('splits the same secret differently every time', async () => {
    const [a, b] = await Promise.all([splitSecret(secret, 3, 2), splitSecret(secret, 3, 2)]);
    expect(a).not.toEqual(b);
  });

  it('leaves the caller’s secret untouched', async () => {
    const copy = Buffer.from(secret);
    await splitSecret(secret, 3, 2);
    expect(secret).toEqual(copy);
  });

  it.each<[string, number, number, number, RegExp]>([
    ['a threshold of 1', 32, 3, 1, /threshold must be at least 2/],
    ['a threshold above the share count', 32, 3, 4, /fewer than the threshold/],
    ['256 shares', 32, 256, 3, /more than 255/],
    ['a fractional threshold', 32, 5, 2.5, /integers/],
    ['an empty secret', 0, 3, 2, /1 to 255 bytes/],
    ['a 256-byte secret', 256, 3, 2, /1 to 255 bytes/],
  ])('refuses to split with %s', async (_name, length, count, threshold, message) => {
    await expect(splitSecret(randomBytes(length), count, threshold)).rejects.toThrow(message);
  });

  it.each<[string, () => Promise<Buffer[]>, RegExp]>([
    ['no shares', async () => [], /at least 2 shares/],
    ['shares of different lengths', async () => [...(await splitSecret(secret, 3, 2)).slice(0, 1), (await splitSecret(randomBytes(16), 3, 2))[0]], /same length/],
    ['the same share twice', async () => {
      const shares = await splitSecret(secret, 3, 2);
      return [shares[0], Buffer.from(shares[0])];
    }, /given twice/],
    ['a share with x coordinate 0', async () => {
      const shares = await splitSecret(secret, 3, 2);
      shares[1][32] = 0;
      return shares;
    }, /x coordinate 0/],
    ['one-byte shares', async () => [Buffer.from([1]), Buffer.from([2])], /2 to 256 bytes/],
  ])('refuses to combine %s', async (_name, shares, message) => {
    await expect(combineShares(await shares())).rejects.toThrow(message);
  });
});
