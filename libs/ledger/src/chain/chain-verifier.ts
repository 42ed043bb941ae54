import { LedgerEntry } from '../ledger-entry';
import { CompactRange, leafHash } from '../merkle/merkle';
import { canonicalEntry, chainHash, GENESIS_HASH } from './hash-chain';

/** A tree head the entries must reproduce: from a signed checkpoint (its signature is checked by the caller). */
export interface TreeHeadClaim {
  treeSize: number;
  rootHash: Buffer;
}

export interface ChainVerdict {
  ok: boolean;
  /** Entries whose hash and link verified. */
  checked: number;
  /** First sequence number that does not verify: a gap, a changed, replaced or missing entry. */
  firstBadSeq?: number;
  reason?: string;
  /** Tree heads recomputed and found equal to the claims. */
  checkpointsChecked?: number;
  /** Highest sequence number seen. */
  lastSeq?: number;
}

/**
 * Verifies a ledger streamed in sequence order: every entry's seq, link and hash, and — when the stream starts at
 * seq 1 (or at the start of a tree prefix pushed with `pushLeafOnly`) — the RFC 9162 tree head at every claimed
 * checkpoint size. O(log n) memory; used by the server-side verifyLedger and by the offline `ledger verify`.
 *
 * Which entry gets the blame: an entry whose own hash is right but whose `prev_hash` does not match its
 * predecessor shows that the predecessor was replaced (its hash recomputed by whoever forged it), so the
 * predecessor's sequence number is reported. A gap names the first missing number; a changed entry names itself;
 * entries that were cut off the end name the first missing one, caught by a checkpoint signed over them.
 */
export class ChainVerifier {
  private expected: number;
  private prev: Buffer;
  private checked = 0;
  private checkpointsChecked = 0;
  private lastGoodCheckpoint = 0;
  private sawPrefix = false;
  private failure: { seq: number; reason: string } | undefined;
  private readonly tree: CompactRange | undefined;
  private readonly claims: TreeHeadClaim[];

  constructor(options: { startSeq?: number; prevHash?: Buffer; claims?: TreeHeadClaim[]; treeFrom?: number } = {}) {
    this.expected = options.startSeq ?? 1;
    this.prev = options.prevHash ?? GENESIS_HASH;
    this.claims = [...(options.claims ?? [])].sort((a, b) => a.treeSize - b.treeSize);
    // The tree can only be rebuilt from leaf 0: either the stream starts at seq 1, or the caller pushes the
    // prefix with pushLeafOnly first (treeFrom = 1).
    this.tree = (options.treeFrom ?? this.expected) === 1 ? new CompactRange() : undefined;
  }

  get failed(): boolean {
    return this.failure !== undefined;
  }

  /** More tree heads to check, for callers that stream checkpoints too (each larger than every claim so far). */
  addClaims(claims: TreeHeadClaim[]): void {
    for (const c of claims) {
      const last = this.claims.at(-1);
      if (last && c.treeSize <= last.treeSize) throw new RangeError('claims must come in increasing tree size');
      this.claims.push(c);
    }
    // a claim at or below what is already verified is checked against the current tree only if it is exactly its size
    const tree = this.tree;
    if (tree && !this.failure && this.claims.length && this.claims[0].treeSize <= tree.size) this.checkClaims(tree);
  }

  /**
   * A prefix entry before the verified range, known only by its stored hash: it feeds the tree, and the last one
   * becomes the hash the first verified entry must link to.
   */
  pushLeafOnly(seq: number, entryHash: Buffer): void {
    if (!this.tree || this.failure) return;
    if (seq !== this.tree.size + 1) {
      this.failure = { seq: this.tree.size + 1, reason: `entry ${this.tree.size + 1} is missing` };
      return;
    }
    this.prev = entryHash;
    this.sawPrefix = true;
    this.addLeaf(entryHash);
  }

  push(e: LedgerEntry): boolean {
    if (this.failure) return false;
    const seq = this.expected;
    if (e.seq !== seq) {
      this.failure =
        e.seq > seq ? { seq, reason: `entry ${seq} is missing (next is ${e.seq})` } : { seq, reason: `entry ${e.seq} appears again after ${seq - 1}` };
      return false;
    }
    const own = chainHash(e.prevHash, canonicalEntry(e.seq, e.recordedAt, e));
    const selfConsistent = own.equals(e.entryHash);
    if (!e.prevHash.equals(this.prev)) {
      if (selfConsistent && (this.checked > 0 || this.sawPrefix)) {
        if (this.checked > 0) this.checked -= 1;
        this.failure = { seq: seq - 1, reason: `entry ${seq - 1} was replaced: entry ${seq} chains to a different predecessor` };
      } else {
        this.failure = { seq, reason: `entry ${seq}: prev_hash does not match entry ${seq - 1}` };
      }
      return false;
    }
    if (!selfConsistent) {
      this.failure = { seq, reason: `entry ${seq}: entry_hash does not match its contents` };
      return false;
    }
    this.prev = e.entryHash;
    this.expected += 1;
    this.checked += 1;
    if (this.tree) this.addLeaf(e.entryHash);
    return !this.failure;
  }

  private addLeaf(entryHash: Buffer): void {
    const tree = this.tree as CompactRange;
    tree.push(leafHash(entryHash));
    this.checkClaims(tree);
  }

  private checkClaims(tree: CompactRange): void {
    while (this.claims.length > 0 && this.claims[0].treeSize <= tree.size) {
      const claim = this.claims.shift() as TreeHeadClaim;
      if (claim.treeSize < tree.size) continue;
      if (!tree.root().equals(claim.rootHash)) {
        this.failure = {
          seq: this.lastGoodCheckpoint + 1,
          reason: `entries 1..${claim.treeSize} do not reproduce the root signed at checkpoint ${claim.treeSize}: rewritten after it was signed (first possibly bad entry ${this.lastGoodCheckpoint + 1})`,
        };
        return;
      }
      this.lastGoodCheckpoint = claim.treeSize;
      this.checkpointsChecked += 1;
    }
  }

  /**
   * `complete`: the stream ended at the ledger's head (not at a caller's `to`), so a checkpoint larger than what was
   * seen proves that entries were cut off the end.
   */
  finish(complete = true): ChainVerdict {
    const lastSeq = this.expected - 1;
    if (!this.failure && complete && this.tree) {
      const beyond = this.claims.find((c) => c.treeSize > lastSeq);
      if (beyond) {
        this.failure = {
          seq: lastSeq + 1,
          reason: `entries ${lastSeq + 1}..${beyond.treeSize} are missing: checkpoint ${beyond.treeSize} was signed over them`,
        };
      }
    }
    const base = { checked: this.checked, checkpointsChecked: this.checkpointsChecked, lastSeq };
    return this.failure ? { ok: false, ...base, firstBadSeq: this.failure.seq, reason: this.failure.reason } : { ok: true, ...base };
  }
}
