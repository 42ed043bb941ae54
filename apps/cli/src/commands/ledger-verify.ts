import { createReadStream, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseCheckpointDocument, parsePublicKey, verifyExport } from '@keybridge/ledger';

/**
 * `keybridge ledger verify`: needs nothing but the three files — no database, no gateway. Exit 0 when the chain,
 * the checkpoint signature and the recomputed tree head all hold; 1 with the first bad sequence number otherwise.
 */
export async function ledgerVerify(exportFile: string, checkpointFile: string, publicKeyFile: string): Promise<number> {
  let checkpoint;
  let publicKey;
  try {
    checkpoint = parseCheckpointDocument(readFileSync(checkpointFile, 'utf8'));
    publicKey = parsePublicKey(readFileSync(publicKeyFile, 'utf8'));
  } catch (e) {
    console.error(`ledger verify: ${e instanceof Error ? e.message : String(e)}`);
    return 2;
  }
  const started = process.hrtime.bigint();
  const lines = createInterface({ input: createReadStream(exportFile, { encoding: 'utf8' }), crlfDelay: Infinity });
  const verdict = await verifyExport(lines, checkpoint, publicKey);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (!verdict.ok) {
    console.log(
      verdict.firstBadSeq !== undefined
        ? `ledger verify: FAILED at seq ${verdict.firstBadSeq}: ${verdict.reason}`
        : `ledger verify: FAILED: ${verdict.reason}`,
    );
    return 1;
  }
  console.log(
    `ledger verify: OK — ${verdict.checked} entries chained from genesis; tree head over 1..${verdict.checkpointSize} matches checkpoint signed by ${checkpoint.keyId} ` +
      `(${Math.round(verdict.checked / Math.max(seconds, 1e-6))} entries/s)`,
  );
  return 0;
}
