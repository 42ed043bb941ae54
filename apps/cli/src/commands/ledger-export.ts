import { createWriteStream, writeFileSync, WriteStream } from 'node:fs';
import { userInfo } from 'node:os';
import { once } from 'node:events';
import { CheckpointRepository, checkpointDocument, LedgerExporter, LedgerIntegrator, LedgerReader, LedgerWriter } from '@keybridge/ledger';
import { AppConfig, SystemClock } from '@keybridge/platform';
import { DataSource } from 'typeorm';

export interface LedgerExportOptions {
  out: string;
  from: number | null;
  to: number | null;
  checkpointOut?: string;
  publicKeyOut?: string;
}

async function write(stream: WriteStream | NodeJS.WriteStream, text: string): Promise<void> {
  if (!stream.write(text)) await once(stream, 'drain');
}

/**
 * `keybridge ledger export`: entries as NDJSON straight from Postgres (DATABASE_URL), optionally with the newest
 * checkpoint and its public key — the three files `keybridge ledger verify` needs. The export is recorded in the
 * ledger first (no principal: an operator with database access).
 */
export async function ledgerExport(options: LedgerExportOptions): Promise<number> {
  const config = AppConfig.fromEnv(process.env, ['DATABASE_URL']);
  const db = new DataSource({ type: 'postgres', url: config.values.DATABASE_URL, applicationName: 'keybridge-cli' });
  await db.initialize();
  const integrator = new LedgerIntegrator(db, config);
  try {
    const clock = new SystemClock();
    const reader = new LedgerReader(db);
    const exporter = new LedgerExporter(reader, clock, integrator);
    const checkpoints = new CheckpointRepository(db);
    // The checkpoint is read before the range so that the export always reaches it.
    const checkpoint = options.checkpointOut || options.publicKeyOut ? await checkpoints.latest() : undefined;
    if ((options.checkpointOut || options.publicKeyOut) && !checkpoint) {
      console.error('ledger export: no checkpoint has been signed yet');
      return 1;
    }
    await new LedgerWriter(db, clock, config, integrator).append({
      principalId: null,
      vault: null,
      keyName: null,
      keyVersion: null,
      operation: 'exportLedger',
      outcome: 'success',
      errorCode: null,
      requestId: null,
      traceId: null,
      paramsDigest: null,
      details: { via: 'cli', from: options.from, to: options.to, osUser: userInfo().username.slice(0, 64) },
    });
    const range = await exporter.range(options.from, options.to);
    const out = options.out === '-' ? process.stdout : createWriteStream(options.out, { mode: 0o600 });
    let count = -1;
    for await (const line of exporter.lines(range)) {
      await write(out, `${line}\n`);
      count += 1;
    }
    if (out !== process.stdout) {
      (out as WriteStream).end();
      await once(out, 'finish');
    }
    if (checkpoint && options.checkpointOut) writeFileSync(options.checkpointOut, `${JSON.stringify(checkpointDocument(checkpoint), null, 2)}\n`);
    if (checkpoint && options.publicKeyOut) {
      const key = (await checkpoints.keys()).find((k) => k.keyId === checkpoint.keyId);
      if (!key) throw new Error(`signing key ${checkpoint.keyId} is not in ledger_signing_keys`);
      writeFileSync(options.publicKeyOut, key.pem);
    }
    console.error(
      `ledger export: ${count} entries (seq ${range.from}..${range.to})${checkpoint ? `, checkpoint ${checkpoint.treeSize} signed by ${checkpoint.keyId}` : ''}`,
    );
    return 0;
  } finally {
    await integrator.stop();
    await db.destroy();
  }
}
