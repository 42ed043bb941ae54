import { createHash, hash } from 'node:crypto';

/**
 * RFC 9162 (Certificate Transparency 2.0, §2.1) Merkle tree hashing over the ledger.
 *
 * Leaf i (0-based) is ledger entry seq = i + 1, and its leaf data is that entry's 32-byte `entry_hash`
 * (which already commits to the canonical entry and, through `prev_hash`, to every entry before it):
 *   leaf hash = SHA-256(0x00 || entry_hash),  node hash = SHA-256(0x01 || left || right).
 * Sizes and indexes are plain numbers (exact up to 2^53); no 32-bit bit operators are used on them.
 */
export const HASH_BYTES = 32;
export const EMPTY_ROOT = createHash('sha256').digest();
const LEAF_PREFIX = Buffer.from([0x00]);
const NODE_PREFIX = Buffer.from([0x01]);


// Reused buffers for the one-shot hashes of 32-byte inputs: verification hashes every leaf and about as many nodes.
const leafInput = Buffer.alloc(1 + HASH_BYTES, 0x00);
const nodeInput = Buffer.alloc(1 + 2 * HASH_BYTES, 0x01);

export function leafHash(data: Buffer): Buffer {
  if (data.length !== HASH_BYTES) return createHash('sha256').update(LEAF_PREFIX).update(data).digest();
  data.copy(leafInput, 1);
  return hash('sha256', leafInput, 'buffer');
}

export function nodeHash(left: Buffer, right: Buffer): Buffer {
  if (left.length !== HASH_BYTES || right.length !== HASH_BYTES) return createHash('sha256').update(NODE_PREFIX).update(left).update(right).digest();
  left.copy(nodeInput, 1);
  right.copy(nodeInput, 1 + HASH_BYTES);
  return hash('sha256', nodeInput, 'buffer');
}

/** Largest power of two strictly smaller than n (n >= 2): the RFC 9162 split point k. */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

export function isPowerOfTwo(n: number): boolean {
  return n >= 1 && Number.isInteger(Math.log2(n)) && 2 ** Math.log2(n) === n;
}

/** MTH over an in-memory list of leaf hashes (the straightforward definition; used for small ranges). */
export function rootOf(leaves: readonly Buffer[], start = 0, end = leaves.length): Buffer {
  const n = end - start;
  if (n === 0) return EMPTY_ROOT;
  if (n === 1) return leaves[start];
  const k = splitPoint(n);
  return nodeHash(rootOf(leaves, start, start + k), rootOf(leaves, start + k, end));
}

const half = (n: number): number => Math.floor(n / 2);
const odd = (n: number): boolean => n % 2 === 1;

/** RFC 9162 §2.1.3.2: verifies an inclusion proof (audit path) for the leaf at `index` in a tree of `size`. */
export function verifyInclusion(index: number, size: number, leaf: Buffer, proof: readonly Buffer[], root: Buffer): boolean {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) return false;
  if (leaf.length !== HASH_BYTES || root.length !== HASH_BYTES || proof.some((p) => p.length !== HASH_BYTES)) return false;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) return false;
    if (odd(fn) || fn === sn) {
      r = nodeHash(p, r);
      if (!odd(fn)) {
        while (!odd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && r.equals(root);
}

/** RFC 9162 §2.1.4.2: verifies that the tree of `second` leaves extends the tree of `first` leaves. */
export function verifyConsistency(first: number, second: number, firstRoot: Buffer, secondRoot: Buffer, proof: readonly Buffer[]): boolean {
  if (!Number.isSafeInteger(first) || !Number.isSafeInteger(second) || first < 1 || first > second) return false;
  if (firstRoot.length !== HASH_BYTES || secondRoot.length !== HASH_BYTES || proof.some((p) => p.length !== HASH_BYTES)) return false;
  if (first === second) return proof.length === 0 && firstRoot.equals(secondRoot);
  if (proof.length === 0) return false;
  const path = isPowerOfTwo(first) ? [firstRoot, ...proof] : [...proof];
  let fn = first - 1;
  let sn = second - 1;
  while (odd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  let fr = path[0];
  let sr = path[0];
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (odd(fn) || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (!odd(fn)) {
        while (!odd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && fr.equals(firstRoot) && sr.equals(secondRoot);
}

/** MTH of the leaves [start, end) of one tree; implementations fetch or cache as they see fit. */
export interface SubtreeSource {
  subtreeHash(start: number, end: number): Promise<Buffer>;
}

/**
 * Proof generation by the RFC 9162 recursive definitions (PATH and SUBPROOF of §2.1.3.1 and §2.1.4.1) over any
 * source of subtree hashes, so the same code serves an in-memory list and the Postgres-backed ledger tree.
 * Every subtree the recursion asks for is either an aligned complete subtree or the right edge of the tree.
 */
export class MerkleProver {
  constructor(private readonly source: SubtreeSource) {}

  root(size: number): Promise<Buffer> {
    return size === 0 ? Promise.resolve(EMPTY_ROOT) : this.source.subtreeHash(0, size);
  }

  async inclusionProof(index: number, size: number): Promise<Buffer[]> {
    if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) {
      throw new RangeError(`leaf ${index} is not in a tree of ${size}`);
    }
    const path: Buffer[] = [];
    const walk = async (start: number, end: number): Promise<void> => {
      const n = end - start;
      if (n === 1) return;
      const k = splitPoint(n);
      if (index - start < k) {
        await walk(start, start + k);
        path.push(await this.source.subtreeHash(start + k, end));
      } else {
        await walk(start + k, end);
        path.push(await this.source.subtreeHash(start, start + k));
      }
    };
    await walk(0, size);
    return path;
  }

  async consistencyProof(first: number, second: number): Promise<Buffer[]> {
    if (!Number.isSafeInteger(first) || !Number.isSafeInteger(second) || first < 1 || first > second) {
      throw new RangeError(`no consistency proof from ${first} to ${second}`);
    }
    if (first === second) return [];
    const proof: Buffer[] = [];
    const sub = async (m: number, start: number, end: number, whole: boolean): Promise<void> => {
      const n = end - start;
      if (m === n) {
        if (!whole) proof.push(await this.source.subtreeHash(start, end));
        return;
      }
      const k = splitPoint(n);
      if (m <= k) {
        await sub(m, start, start + k, whole);
        proof.push(await this.source.subtreeHash(start + k, end));
      } else {
        await sub(m - k, start + k, end, false);
        proof.push(await this.source.subtreeHash(start, start + k));
      }
    };
    await sub(first, 0, second, true);
    return proof;
  }
}

/** A SubtreeSource over leaf hashes held in memory (specs, small exports). */
export class InMemoryTree implements SubtreeSource {
  constructor(private readonly leaves: readonly Buffer[]) {}

  async subtreeHash(start: number, end: number): Promise<Buffer> {
    if (start < 0 || end > this.leaves.length || start >= end) throw new RangeError(`no subtree [${start}, ${end})`);
    return rootOf(this.leaves, start, end);
  }
}

/**
 * The right edge of a tree built leaf by leaf (a "compact range"): one hash per set bit of the size. Streams any
 * number of leaves in O(log n) memory; `root()` is the MTH of everything pushed so far. `onComplete` sees every
 * aligned complete subtree as it closes (level, index, hash), which is how checkpoints persist their nodes.
 */
export class CompactRange {
  private readonly stack: Array<{ level: number; hash: Buffer }> = [];
  private count = 0;

  constructor(private readonly onComplete?: (level: number, index: number, hash: Buffer) => void) {}

  /** Start from stored state: the aligned complete subtrees covering [0, size), largest first. */
  static resume(size: number, peaks: Array<{ level: number; hash: Buffer }>, onComplete?: (level: number, index: number, hash: Buffer) => void): CompactRange {
    const range = new CompactRange(onComplete);
    let covered = 0;
    for (const p of peaks) {
      range.stack.push({ level: p.level, hash: p.hash });
      covered += 2 ** p.level;
    }
    if (covered !== size) throw new RangeError(`peaks cover ${covered} leaves, not ${size}`);
    range.count = size;
    return range;
  }

  get size(): number {
    return this.count;
  }

  push(leaf: Buffer): void {
    let node = { level: 0, hash: leaf };
    this.count += 1;
    this.onComplete?.(0, this.count - 1, leaf);
    for (let top = this.stack.at(-1); top && top.level === node.level; top = this.stack.at(-1)) {
      this.stack.pop();
      node = { level: node.level + 1, hash: nodeHash(top.hash, node.hash) };
      this.onComplete?.(node.level, Math.floor((this.count - 1) / 2 ** node.level), node.hash);
    }
    this.stack.push(node);
  }

  /** Appends a whole aligned complete subtree at once (its leaves must be the next 2^level ones). */
  pushSubtree(level: number, hash: Buffer): void {
    const top = this.stack.at(-1);
    if ((top && top.level < level) || this.count % 2 ** level !== 0) throw new RangeError(`subtree of level ${level} is not aligned at ${this.count}`);
    let node = { level, hash };
    this.count += 2 ** level;
    for (let t = this.stack.at(-1); t && t.level === node.level; t = this.stack.at(-1)) {
      this.stack.pop();
      node = { level: node.level + 1, hash: nodeHash(t.hash, node.hash) };
      this.onComplete?.(node.level, Math.floor((this.count - 1) / 2 ** node.level), node.hash);
    }
    this.stack.push(node);
  }

  root(): Buffer {
    if (this.stack.length === 0) return EMPTY_ROOT;
    let r = this.stack[this.stack.length - 1].hash;
    for (let i = this.stack.length - 2; i >= 0; i--) r = nodeHash(this.stack[i].hash, r);
    return r;
  }
}
