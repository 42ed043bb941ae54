import { createPublicKey, KeyObject } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { ChainVerdict, ChainVerifier } from '../chain/chain-verifier';
import { GENESIS_HASH } from '../chain/hash-chain';
import { CheckpointRepository } from '../checkpoint/checkpoint.repository';
import { verifyCheckpointSignature } from '../checkpoint/signed-checkpoint';
import { LedgerIntegrator } from '../integrate/ledger-integrator';
import { LedgerReader } from '../read/ledger-reader';

const PAGE = 10_000;

export interface LedgerVerification extends ChainVerdict {
  from: number;
  to: number;
  headSeq: number;
  /** Checkpoint signatures checked against the stored public keys. */
  signaturesChecked: number;
  durationMs: number;
  /** Entries committed by the end of the verification but not yet in the chain (not verified: no seq, no hash yet). */
  pendingEntries: number;
}

/**
 * Server-side verification of entries from..to: seq, links and hashes (recomputed from the canonical entries), the
 * signature of every checkpoint up to `to`, and the tree head of each of them recomputed from the entries (not from
 * the stored Merkle nodes). With `to` at the head, a checkpoint larger than the ledger reveals tail truncation.
 * Streams pages; memory does not grow with the ledger.
 */
@Injectable()
export class LedgerVerifier {
  constructor(
    private readonly reader: LedgerReader,
    private readonly checkpoints: CheckpointRepository,
    private readonly integrator: LedgerIntegrator,
  ) {}

  /** Verifies the chain with everything committed before the call integrated into it. */
  async verify(fromSeq: number | undefined, toSeq: number | undefined): Promise<LedgerVerification> {
    await this.integrator.settle();
    const verification = await this.verifyChain(fromSeq, toSeq);
    return { ...verification, pendingEntries: (await this.reader.pending()).entries };
  }

  private async verifyChain(fromSeq: number | undefined, toSeq: number | undefined): Promise<Omit<LedgerVerification, 'pendingEntries'>> {
    const started = Date.now();
    // The newest checkpoint first, then the head: a checkpoint only ever covers committed entries, so one read
    // before the head is at most the head unless entries were removed.
    const newest = await this.checkpoints.latest();
    const keys = new Map<string, KeyObject>((await this.checkpoints.keys()).map((k) => [k.keyId, createPublicKey({ key: k.jwk, format: 'jwk' })]));
    const head = await this.reader.headSeq();
    const to = Math.min(toSeq ?? head, head);
    const from = fromSeq ?? 1;
    const complete = toSeq === undefined || toSeq >= head;
    // checkpoints beyond `to` matter only when verifying up to the head (they reveal a cut-off tail)
    const claimLimit = Math.min(newest?.treeSize ?? 0, complete ? Number.MAX_SAFE_INTEGER : to);
    const chain = new ChainVerifier({ startSeq: from, prevHash: GENESIS_HASH, treeFrom: 1 });
    let signaturesChecked = 0;
    let claimsUpTo = 0;
    let badSignature: string | undefined;
    const result = (verdict: ChainVerdict): Omit<LedgerVerification, 'pendingEntries'> => ({ ...verdict, from, to, headSeq: head, signaturesChecked, durationMs: Date.now() - started });

    // Checkpoints are streamed too (there is one every few seconds while entries arrive), ahead of the entries.
    const claimsThrough = async (seq: number): Promise<void> => {
      const limit = Math.min(seq, claimLimit);
      while (!badSignature && claimsUpTo < limit) {
        const page = await this.checkpoints.between(claimsUpTo, limit, PAGE);
        if (page.length === 0) break;
        for (const cp of page) {
          const key = keys.get(cp.keyId);
          if (!key || !verifyCheckpointSignature(cp, key)) {
            badSignature = `checkpoint ${cp.treeSize}: the signature does not verify with key ${cp.keyId}`;
            return;
          }
          signaturesChecked += 1;
        }
        chain.addClaims(page);
        claimsUpTo = page[page.length - 1].treeSize;
      }
    };

    // The tree needs leaves 1..from-1 too: their stored hashes feed it (they are not being verified), and the last
    // one is what entry `from` must link to.
    for (let next = 1; next < from && !badSignature; ) {
      const page = await this.reader.hashes(next, from - 1, PAGE);
      if (page.length === 0) break;
      await claimsThrough(page[page.length - 1].seq);
      for (const h of page) chain.pushLeafOnly(h.seq, h.entryHash);
      next = page[page.length - 1].seq + 1;
    }
    for (let next = from; next <= to && !badSignature && !chain.failed; ) {
      const page = await this.reader.range(next, to, PAGE);
      if (page.length === 0) break;
      await claimsThrough(page[page.length - 1].seq);
      for (const e of page) if (!chain.push(e)) break;
      next = page[page.length - 1].seq + 1;
    }
    if (complete && !badSignature && !chain.failed) await claimsThrough(claimLimit);
    if (badSignature) return result({ ok: false, checked: 0, reason: badSignature });
    return result(chain.finish(complete));
  }
}
