import { isPowerOfTwo, leafHash, nodeHash, rootOf, splitPoint, SubtreeSource } from './merkle';
import { Queryable } from '../queryable';
import { MerkleNodeRepository, StoredNode } from './merkle-node.repository';

/** Subtrees of 2^CHUNK_LEVEL leaves and larger are stored; smaller ones are hashed from the entries on demand. */
export const CHUNK_LEVEL = 10;
export const CHUNK = 2 ** CHUNK_LEVEL;
/** Chunks hashed per round trip while catching up (32 Ki entry hashes, about 1 MiB). */
const CHUNKS_PER_READ = 32;

/**
 * The ledger's RFC 9162 tree of `size` leaves (leaf i = entry seq i+1) as a SubtreeSource for MerkleProver.
 * Aligned complete subtrees of level >= CHUNK_LEVEL come from ledger_merkle_nodes (computed from their children if
 * absent); smaller ones from the entry hashes of their chunk, read once per chunk.
 */
export class LedgerTree implements SubtreeSource {
  private readonly chunks = new Map<number, Buffer[]>();
  private readonly stored = new Map<string, Buffer>();

  constructor(
    readonly size: number,
    private readonly repository: MerkleNodeRepository,
    private readonly db?: Queryable,
  ) {}

  async subtreeHash(start: number, end: number): Promise<Buffer> {
    if (start < 0 || end > this.size || start >= end) throw new RangeError(`no subtree [${start}, ${end}) in a tree of ${this.size}`);
    const n = end - start;
    if (isPowerOfTwo(n) && start % n === 0) return this.complete(Math.log2(n), start / n);
    const k = splitPoint(n);
    return nodeHash(await this.subtreeHash(start, start + k), await this.subtreeHash(start + k, end));
  }

  private async complete(level: number, index: number): Promise<Buffer> {
    if (level < CHUNK_LEVEL) {
      const first = index * 2 ** level;
      const chunk = Math.floor(first / CHUNK);
      const leaves = await this.chunkLeaves(chunk);
      const offset = first - chunk * CHUNK;
      return rootOf(leaves, offset, offset + 2 ** level);
    }
    const key = `${level}/${index}`;
    let hash = this.stored.get(key);
    if (!hash) {
      hash = (await this.repository.nodes([{ level, index }], this.db)).get(key);
      hash ??= nodeHash(await this.complete(level - 1, 2 * index), await this.complete(level - 1, 2 * index + 1));
      this.stored.set(key, hash);
    }
    return hash;
  }

  private async chunkLeaves(chunk: number): Promise<Buffer[]> {
    let leaves = this.chunks.get(chunk);
    if (!leaves) {
      const hashes = await this.repository.entryHashes(chunk * CHUNK + 1, Math.min((chunk + 1) * CHUNK, this.size), this.db);
      leaves = hashes.map(leafHash);
      this.chunks.set(chunk, leaves);
    }
    return leaves;
  }
}

/**
 * Stores the nodes of every complete chunk below `size` that is not stored yet, streaming entry hashes
 * CHUNKS_PER_READ chunks at a time (never the whole ledger in memory). Callers serialise it (advisory lock).
 */
export async function storeCompleteChunks(size: number, repository: MerkleNodeRepository, db: Queryable): Promise<number> {
  const target = Math.floor(size / CHUNK);
  const have = await repository.storedChunks(CHUNK_LEVEL, db);
  if (have >= target) return 0;
  // Left siblings still waiting for their right half: at each level, the last stored node if its index is even.
  const pending = new Map<number, Buffer>();
  const waiting: Array<{ level: number; index: number }> = [];
  for (let level = CHUNK_LEVEL; 2 ** (level - CHUNK_LEVEL) <= have; level++) {
    const count = Math.floor(have / 2 ** (level - CHUNK_LEVEL));
    if (count % 2 === 1) waiting.push({ level, index: count - 1 });
  }
  const found = await repository.nodes(waiting, db);
  for (const w of waiting) {
    const hash = found.get(`${w.level}/${w.index}`);
    if (!hash) throw new Error(`stored Merkle node ${w.level}/${w.index} is missing`);
    pending.set(w.level, hash);
  }
  for (let chunk = have; chunk < target; chunk += CHUNKS_PER_READ) {
    const upTo = Math.min(chunk + CHUNKS_PER_READ, target);
    const hashes = await repository.entryHashes(chunk * CHUNK + 1, upTo * CHUNK, db);
    const nodes: StoredNode[] = [];
    for (let c = chunk; c < upTo; c++) {
      const offset = (c - chunk) * CHUNK;
      let hash = rootOf(hashes.slice(offset, offset + CHUNK).map(leafHash));
      let level = CHUNK_LEVEL;
      let index = c;
      nodes.push({ level, index, hash });
      while (index % 2 === 1) {
        const left = pending.get(level);
        if (!left) throw new Error(`left sibling of Merkle node ${level}/${index} is missing`);
        pending.delete(level);
        hash = nodeHash(left, hash);
        level += 1;
        index = Math.floor(index / 2);
        nodes.push({ level, index, hash });
      }
      pending.set(level, hash);
    }
    await repository.insert(db, nodes);
  }
  return target - have;
}
