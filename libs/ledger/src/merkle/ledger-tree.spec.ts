import { createHash } from 'node:crypto';
import { DataSource } from 'typeorm';
import { CHUNK, CHUNK_LEVEL, LedgerTree, storeCompleteChunks } from './ledger-tree';
import { InMemoryTree, leafHash, MerkleProver, rootOf } from './merkle';
import { Queryable } from '../queryable';
import { MerkleNodeRepository, StoredNode } from './merkle-node.repository';

/** The repository over arrays: entry hashes by seq and the nodes table, counting reads. */
class MemoryNodes extends MerkleNodeRepository {
  readonly stored = new Map<string, Buffer>();
  entryReads = 0;

  constructor(private readonly entryHashesBySeq: Buffer[]) {
    super(undefined as unknown as DataSource);
  }

  override async storedChunks(level: number): Promise<number> {
    let n = 0;
    while (this.stored.has(`${level}/${n}`)) n++;
    return n;
  }

  override async nodes(keys: Array<{ level: number; index: number }>): Promise<Map<string, Buffer>> {
    const out = new Map<string, Buffer>();
    for (const k of keys) {
      const hash = this.stored.get(`${k.level}/${k.index}`);
      if (hash) out.set(`${k.level}/${k.index}`, hash);
    }
    return out;
  }

  override async insert(_db: Queryable, nodes: StoredNode[]): Promise<void> {
    for (const n of nodes) if (!this.stored.has(`${n.level}/${n.index}`)) this.stored.set(`${n.level}/${n.index}`, n.hash);
  }

  override async entryHashes(first: number, last: number): Promise<Buffer[]> {
    this.entryReads += last - first + 1;
    return this.entryHashesBySeq.slice(first - 1, last);
  }
}

const entryHashes = Array.from({ length: 9 * CHUNK + 77 }, (_, i) => createHash('sha256').update(`e${i}`).digest());
const leaves = entryHashes.map(leafHash);
const db: Queryable = { query: async () => [] };

describe('the stored ledger tree', () => {
  it('stores every complete aligned subtree of 2^10+ leaves, incrementally, and computes the same roots and proofs', async () => {
    const repo = new MemoryNodes(entryHashes);
    let storeReads = 0;
    for (const size of [CHUNK - 1, CHUNK + 5, 3 * CHUNK, 3 * CHUNK + 1, 8 * CHUNK + 3, entryHashes.length]) {
      const before = repo.entryReads;
      await storeCompleteChunks(size, repo, db);
      storeReads += repo.entryReads - before;
      const afterStore = repo.entryReads;
      const tree = new LedgerTree(size, repo, db);
      expect(await new MerkleProver(tree).root(size)).toEqual(rootOf(leaves.slice(0, size)));
      // a root reads the stored nodes plus the entries of the last, incomplete chunk only
      expect(repo.entryReads - afterStore).toBe(size % CHUNK);
    }
    // every complete chunk was read exactly once across all the incremental calls
    expect(storeReads).toBe(9 * CHUNK);
    expect(repo.stored.get(`${CHUNK_LEVEL + 3}/0`)).toEqual(rootOf(leaves, 0, 8 * CHUNK));
    expect(repo.stored.get(`${CHUNK_LEVEL}/8`)).toEqual(rootOf(leaves, 8 * CHUNK, 9 * CHUNK));
    expect(repo.stored.has(`${CHUNK_LEVEL}/9`)).toBe(false);

    const size = entryHashes.length;
    const stored = new MerkleProver(new LedgerTree(size, repo, db));
    const reference = new MerkleProver(new InMemoryTree(leaves));
    for (const index of [0, 1, 1023, 1024, 4095, 5000, 8 * CHUNK, size - 1]) {
      expect(await stored.inclusionProof(index, size)).toEqual(await reference.inclusionProof(index, size));
    }
    for (const [m, n] of [[1, size], [CHUNK, size], [3 * CHUNK + 1, 8 * CHUNK + 3], [5000, size]]) {
      expect(await stored.consistencyProof(m, n)).toEqual(await reference.consistencyProof(m, n));
    }
  });

  it('reads at most two chunks of entries for a proof once the nodes are stored', async () => {
    const repo = new MemoryNodes(entryHashes);
    await storeCompleteChunks(entryHashes.length, repo, db);
    repo.entryReads = 0;
    await new MerkleProver(new LedgerTree(entryHashes.length, repo, db)).inclusionProof(4321, entryHashes.length);
    expect(repo.entryReads).toBeLessThanOrEqual(2 * CHUNK);
  });

  it('refuses subtrees outside the tree', async () => {
    const tree = new LedgerTree(10, new MemoryNodes(entryHashes), db);
    await expect(tree.subtreeHash(5, 11)).rejects.toThrow(RangeError);
    await expect(tree.subtreeHash(3, 3)).rejects.toThrow(RangeError);
  });
});
