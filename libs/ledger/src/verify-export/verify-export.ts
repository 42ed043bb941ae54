import { KeyObject } from 'node:crypto';
import { ChainVerdict, ChainVerifier } from '../chain/chain-verifier';
import { GENESIS_HASH } from '../chain/hash-chain';
import { Checkpoint, jwkThumbprint, verifyCheckpointSignature } from '../checkpoint/signed-checkpoint';
import { parseExportLine, parseHeader } from '../export-ledger/export-format';

export interface ExportVerdict extends ChainVerdict {
  checkpointSize: number;
}

/** The key id (RFC 7638 thumbprint) of a P-256 public key. */
export function keyIdOf(publicKey: KeyObject): string {
  const jwk = publicKey.export({ format: 'jwk' });
  return jwkThumbprint({ crv: String(jwk.crv), kty: String(jwk.kty), x: String(jwk.x), y: String(jwk.y) });
}

/**
 * Offline verification of an export against a signed checkpoint, with no access to the service: the checkpoint
 * signature under the given public key, then every entry's seq, link and hash from genesis, and the RFC 9162 tree
 * head over entries 1..treeSize against the signed root. The export must start at seq 1.
 */
export async function verifyExport(lines: AsyncIterable<string>, checkpoint: Checkpoint, publicKey: KeyObject): Promise<ExportVerdict> {
  const fail = (reason: string, firstBadSeq?: number): ExportVerdict => ({
    ok: false,
    checked: 0,
    checkpointSize: checkpoint.treeSize,
    reason,
    ...(firstBadSeq !== undefined ? { firstBadSeq } : {}),
  });
  const keyId = keyIdOf(publicKey);
  if (keyId !== checkpoint.keyId) return fail(`the checkpoint was signed by key ${checkpoint.keyId}; the public key given is ${keyId}`);
  if (!verifyCheckpointSignature(checkpoint, publicKey)) return fail('the checkpoint signature does not verify with the public key');

  const verifier = new ChainVerifier({ startSeq: 1, prevHash: GENESIS_HASH, claims: [checkpoint] });
  let header = true;
  let lineNo = 0;
  for await (const raw of lines) {
    lineNo += 1;
    const line = raw.trim();
    if (line.length === 0) continue;
    if (header) {
      header = false;
      const h = parseHeader(line);
      if (h.from !== 1) return fail(`the export starts at seq ${h.from}; verification against a checkpoint needs it from seq 1`);
      continue;
    }
    const entry = parseExportLine(line);
    if (!entry) {
      const verdict = verifier.finish(false);
      return { ...verdict, ok: false, checkpointSize: checkpoint.treeSize, firstBadSeq: (verdict.lastSeq ?? 0) + 1, reason: `line ${lineNo} is not a ledger entry` };
    }
    if (!verifier.push(entry)) break;
  }
  if (header) return fail('the export is empty');
  return { ...verifier.finish(true), checkpointSize: checkpoint.treeSize };
}
