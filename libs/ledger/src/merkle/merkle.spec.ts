import { createHash } from 'node:crypto';
import { CompactRange, EMPTY_ROOT, InMemoryTree, leafHash, MerkleProver, nodeHash, rootOf, verifyConsistency, verifyInclusion } from './merkle';

const hex = (b: Buffer): string => b.toString('hex');
const unhex = (s: string): Buffer => Buffer.from(s, 'hex');
const sha = (...parts: Buffer[]): Buffer => parts.reduce((h, p) => h.update(p), createHash('sha256')).digest();

// Certificate Transparency reference data (RFC 6962 test vectors, certificate-transparency merkle_tree_test).
const CT_DATA = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'].map(unhex);
const CT_ROOTS = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];
const CT_LEAVES = CT_DATA.map(leafHash);

/** An independent, deliberately naive implementation of RFC 9162 §2.1 on arrays (slices, no offsets). */
const ref = {
  mth(d: Buffer[]): Buffer {
    if (d.length === 0) return sha();
    if (d.length === 1) return d[0];
    let k = 1;
    while (k << 1 < d.length) k <<= 1;
    return sha(Buffer.from([1]), ref.mth(d.slice(0, k)), ref.mth(d.slice(k)));
  },
  path(m: number, d: Buffer[]): Buffer[] {
    if (d.length <= 1) return [];
    let k = 1;
    while (k << 1 < d.length) k <<= 1;
    return m < k ? [...ref.path(m, d.slice(0, k)), ref.mth(d.slice(k))] : [...ref.path(m - k, d.slice(k)), ref.mth(d.slice(0, k))];
  },
  subproof(m: number, d: Buffer[], b: boolean): Buffer[] {
    if (m === d.length) return b ? [] : [ref.mth(d)];
    let k = 1;
    while (k << 1 < d.length) k <<= 1;
    return m <= k
      ? [...ref.subproof(m, d.slice(0, k), b), ref.mth(d.slice(k))]
      : [...ref.subproof(m - k, d.slice(k), false), ref.mth(d.slice(0, k))];
  },
};

const many = Array.from({ length: 70 }, (_, i) => leafHash(sha(Buffer.from(`entry-${i}`))));

describe('RFC 9162 Merkle tree', () => {
  it('hashes leaves with 0x00 and nodes with 0x01 (the empty tree is SHA-256 of nothing)', () => {
    expect(hex(EMPTY_ROOT)).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(hex(leafHash(Buffer.alloc(0)))).toBe(CT_ROOTS[0]);
    expect(nodeHash(CT_LEAVES[0], CT_LEAVES[1])).toEqual(sha(Buffer.from([1]), CT_LEAVES[0], CT_LEAVES[1]));
  });

  it('matches the Certificate Transparency reference roots for every size 1..8', async () => {
    const prover = new MerkleProver(new InMemoryTree(CT_LEAVES));
    for (let n = 1; n <= 8; n++) {
      expect(hex(rootOf(CT_LEAVES.slice(0, n)))).toBe(CT_ROOTS[n - 1]);
      expect(hex(await prover.root(n))).toBe(CT_ROOTS[n - 1]);
    }
  });

  it.each([
    [0, 8, ['96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7', '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4']],
    [5, 8, ['bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b', 'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0', 'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7']],
  ])('produces the reference inclusion proof for leaf %i of %i', async (index, size, expected) => {
    const proof = await new MerkleProver(new InMemoryTree(CT_LEAVES)).inclusionProof(index, size);
    expect(proof.map(hex)).toEqual(expected);
    expect(verifyInclusion(index, size, CT_LEAVES[index], proof, unhex(CT_ROOTS[size - 1]))).toBe(true);
  });

  it('produces the reference consistency proof from 2 to 5', async () => {
    const proof = await new MerkleProver(new InMemoryTree(CT_LEAVES)).consistencyProof(2, 5);
    expect(proof.map(hex)).toEqual([
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ]);
    expect(verifyConsistency(2, 5, unhex(CT_ROOTS[1]), unhex(CT_ROOTS[4]), proof)).toBe(true);
  });

  it('agrees with the naive implementation on roots, inclusion and consistency proofs for sizes 1..70', async () => {
    const prover = new MerkleProver(new InMemoryTree(many));
    for (let n = 1; n <= many.length; n++) {
      const tree = many.slice(0, n);
      const root = ref.mth(tree);
      expect(await prover.root(n)).toEqual(root);
      for (let i = 0; i < n; i++) {
        const proof = await prover.inclusionProof(i, n);
        expect(proof).toEqual(ref.path(i, tree));
        expect(verifyInclusion(i, n, tree[i], proof, root)).toBe(true);
        // the same proof does not prove any other leaf, nor this leaf at another index
        if (n > 1) {
          expect(verifyInclusion(i, n, tree[(i + 1) % n], proof, root)).toBe(false);
          expect(verifyInclusion((i + 1) % n, n, tree[i], proof, root)).toBe(false);
        }
      }
      for (let m = 1; m <= n; m++) {
        const proof = await prover.consistencyProof(m, n);
        expect(proof).toEqual(m === n ? [] : ref.subproof(m, tree, true));
        expect(verifyConsistency(m, n, ref.mth(many.slice(0, m)), root, proof)).toBe(true);
      }
    }
  });

  it.each([
    ['a flipped byte', (p: Buffer[]) => { p[p.length - 1] = Buffer.from(p[p.length - 1]); p[p.length - 1][7] ^= 1; }],
    ['a dropped hash', (p: Buffer[]) => { p.pop(); }],
    ['an extra hash', (p: Buffer[]) => { p.push(Buffer.alloc(32, 0xab)); }],
    ['two swapped hashes', (p: Buffer[]) => { [p[0], p[1]] = [p[1], p[0]]; }],
    ['a short hash', (p: Buffer[]) => { p[0] = p[0].subarray(1); }],
  ])('rejects inclusion and consistency proofs with %s', async (_name, mangle) => {
    const prover = new MerkleProver(new InMemoryTree(many));
    for (const [i, n] of [[3, 37], [36, 37], [0, 64], [40, 70]]) {
      const proof = await prover.inclusionProof(i, n);
      mangle(proof);
      expect(verifyInclusion(i, n, many[i], proof, rootOf(many.slice(0, n)))).toBe(false);
    }
    for (const [m, n] of [[3, 37], [13, 70], [5, 8]]) {
      const proof = await prover.consistencyProof(m, n);
      mangle(proof);
      expect(verifyConsistency(m, n, rootOf(many.slice(0, m)), rootOf(many.slice(0, n)), proof)).toBe(false);
    }
  });

  it('rejects out-of-range indexes, sizes and roots', async () => {
    const prover = new MerkleProver(new InMemoryTree(CT_LEAVES));
    const proof = await prover.inclusionProof(5, 8);
    expect(verifyInclusion(8, 8, CT_LEAVES[5], proof, unhex(CT_ROOTS[7]))).toBe(false);
    expect(verifyInclusion(-1, 8, CT_LEAVES[5], proof, unhex(CT_ROOTS[7]))).toBe(false);
    expect(verifyInclusion(5, 8, CT_LEAVES[5], proof, unhex(CT_ROOTS[6]))).toBe(false);
    expect(verifyConsistency(5, 3, unhex(CT_ROOTS[4]), unhex(CT_ROOTS[2]), [])).toBe(false);
    expect(verifyConsistency(4, 4, unhex(CT_ROOTS[3]), unhex(CT_ROOTS[3]), [])).toBe(true);
    expect(verifyConsistency(4, 4, unhex(CT_ROOTS[3]), unhex(CT_ROOTS[4]), [])).toBe(false);
    expect(verifyConsistency(2, 5, unhex(CT_ROOTS[1]), unhex(CT_ROOTS[4]), [])).toBe(false);
    await expect(prover.inclusionProof(8, 8)).rejects.toThrow(RangeError);
    await expect(prover.consistencyProof(0, 8)).rejects.toThrow(RangeError);
  });

  it('builds the same root leaf by leaf (compact range), reports closed subtrees, and resumes from stored peaks', () => {
    const closed = new Map<string, Buffer>();
    const range = new CompactRange((level, index, hash) => closed.set(`${level}/${index}`, hash));
    for (let n = 1; n <= many.length; n++) {
      range.push(many[n - 1]);
      expect(range.root()).toEqual(rootOf(many.slice(0, n)));
    }
    expect(closed.get('2/3')).toEqual(rootOf(many, 12, 16));
    expect(closed.get('6/0')).toEqual(rootOf(many, 0, 64));
    expect(closed.has('6/1')).toBe(false);
    // 70 = 64 + 4 + 2: resume from those peaks, then push whole aligned subtrees and leaves
    const resumed = CompactRange.resume(70, [
      { level: 6, hash: rootOf(many, 0, 64) },
      { level: 2, hash: rootOf(many, 64, 68) },
      { level: 1, hash: rootOf(many, 68, 70) },
    ]);
    expect(resumed.root()).toEqual(rootOf(many));
    const more = [...many, ...many.slice(0, 10)];
    resumed.pushSubtree(1, rootOf(more, 70, 72));
    for (let i = 72; i < 80; i++) resumed.push(more[i]);
    expect(resumed.root()).toEqual(rootOf(more, 0, 80));
    expect(() => resumed.pushSubtree(5, EMPTY_ROOT)).toThrow(RangeError);
  });
});
