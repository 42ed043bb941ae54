import { createPublicKey, KeyObject } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { ChainVerdict, ChainVerifier } from '../chain/chain-verifier';
import { GENESIS_HASH } from '../chain/hash-chain';
import { CheckpointRepository } from '../checkpoint/checkpoint.repository';
import { verifyCheckpointSignature } from '../checkpoint/signed-checkpoint';
import { LedgerReader } from '../read/ledger-reader';

const PAGE = 10_000;

export interface LedgerVerification extends ChainVerdict {
  from: number;
  to: number;
  headSeq: number;
  /** Checkpoint signatures checked against the stored public keys. */
  signaturesChecked: number;
  durationMs: number;
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
  ) {}

  async verify(fromSeq: number | undefined, toSeq: number | undefined): Promise<LedgerVerification> {
    const started = Date.now();
    // Checkpoints first, then the head: a checkpoint only ever covers committed entries, so any checkpoint read
    // before the head is at most the head unless entries were removed.
    const all = await this.checkpoints.upTo(null);
    const keys = new Map<string, KeyObject>((await this.checkpoints.keys()).map((k) => [k.keyId, createPublicKey({ key: k.jwk, format: 'jwk' })]));
    const head = await this.reader.headSeq();
    const to = Math.min(toSeq ?? head, head);
    const from = fromSeq ?? 1;
    const complete = toSeq === undefined || toSeq >= head;
    const claims = all.filter((c) => complete || c.treeSize <= to);
    const result = (verdict: ChainVerdict, signaturesChecked: number): LedgerVerification => ({
      ...verdict,
      from,
      to,
      headSeq: head,
      signaturesChecked,
      durationMs: Date.now() - started,
    });

    let signaturesChecked = 0;
    for (const cp of claims) {
      const key = keys.get(cp.keyId);
      if (!key || !verifyCheckpointSignature(cp, key)) {
        return result({ ok: false, checked: 0, reason: `checkpoint ${cp.treeSize}: the signature does not verify with key ${cp.keyId}` }, signaturesChecked);
      }
      signaturesChecked += 1;
    }

    const chain = new ChainVerifier({ startSeq: from, prevHash: GENESIS_HASH, claims, treeFrom: 1 });
    // The tree needs leaves 1..from-1 too: their stored hashes feed it (they are not being verified), and the last
    // one is what entry `from` must link to.
    for (let next = 1; next < from; ) {
      const page = await this.reader.hashes(next, from - 1, PAGE);
      if (page.length === 0) break;
      for (const h of page) chain.pushLeafOnly(h.seq, h.entryHash);
      next = page[page.length - 1].seq + 1;
    }
    for (let next = from; next <= to; ) {
      const page = await this.reader.range(next, to, PAGE);
      if (page.length === 0) break;
      let stop = false;
      for (const e of page) {
        if (!chain.push(e)) {
          stop = true;
          break;
        }
      }
      if (stop) break;
      next = page[page.length - 1].seq + 1;
    }
    return result(chain.finish(complete), signaturesChecked);
  }
}
