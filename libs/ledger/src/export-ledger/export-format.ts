import { LedgerEntry, LedgerOutcome } from '../ledger-entry';

/** First line of every export. */
export const EXPORT_FORMAT = 'keybridge.ledger.export.v1';

export interface ExportHeader {
  format: typeof EXPORT_FORMAT;
  from: number;
  to: number;
  exportedAt: string;
  /** Entries committed but not yet integrated into the chain when the export began (absent in older exports). */
  pending?: number;
}

/** One NDJSON line per entry: every hashed field as stored, hashes in hex. */
export function exportLine(e: LedgerEntry): string {
  return JSON.stringify({
    seq: e.seq,
    recordedAt: e.recordedAt.toISOString(),
    principalId: e.principalId,
    vault: e.vault,
    keyName: e.keyName,
    keyVersion: e.keyVersion,
    operation: e.operation,
    outcome: e.outcome,
    errorCode: e.errorCode,
    requestId: e.requestId,
    traceId: e.traceId,
    paramsDigest: e.paramsDigest,
    details: e.details,
    prevHash: e.prevHash.toString('hex'),
    entryHash: e.entryHash.toString('hex'),
  });
}

export function headerLine(range: { from: number; to: number; pending: number }, at: Date): string {
  const header: ExportHeader = { format: EXPORT_FORMAT, from: range.from, to: range.to, exportedAt: at.toISOString(), pending: range.pending };
  return JSON.stringify(header);
}

export function parseHeader(line: string): ExportHeader {
  let doc: Partial<ExportHeader>;
  try {
    doc = JSON.parse(line) as Partial<ExportHeader>;
  } catch {
    throw new Error(`the export does not start with a ${EXPORT_FORMAT} header`);
  }
  if (doc.format !== EXPORT_FORMAT || !Number.isSafeInteger(doc.from) || !Number.isSafeInteger(doc.to)) {
    throw new Error(`the export does not start with a ${EXPORT_FORMAT} header`);
  }
  return doc as ExportHeader;
}

const HEX32 = /^[0-9a-f]{64}$/;
const nullableString = (v: unknown): v is string | null => v === null || typeof v === 'string';

/** Parses one entry line; returns undefined when the line is not a well-formed entry (the verifier reports it). */
export function parseExportLine(line: string): LedgerEntry | undefined {
  let d: Record<string, unknown>;
  try {
    d = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (typeof d !== 'object' || d === null) return undefined;
  const ok =
    Number.isSafeInteger(d.seq) &&
    typeof d.recordedAt === 'string' &&
    !Number.isNaN(Date.parse(d.recordedAt)) &&
    nullableString(d.principalId) &&
    nullableString(d.vault) &&
    nullableString(d.keyName) &&
    (d.keyVersion === null || Number.isSafeInteger(d.keyVersion)) &&
    typeof d.operation === 'string' &&
    (d.outcome === 'success' || d.outcome === 'denied' || d.outcome === 'failed') &&
    nullableString(d.errorCode) &&
    nullableString(d.requestId) &&
    nullableString(d.traceId) &&
    nullableString(d.paramsDigest) &&
    typeof d.details === 'object' &&
    d.details !== null &&
    !Array.isArray(d.details) &&
    typeof d.prevHash === 'string' &&
    HEX32.test(d.prevHash) &&
    typeof d.entryHash === 'string' &&
    HEX32.test(d.entryHash);
  if (!ok) return undefined;
  return {
    seq: d.seq as number,
    recordedAt: new Date(d.recordedAt as string),
    principalId: d.principalId as string | null,
    vault: d.vault as string | null,
    keyName: d.keyName as string | null,
    keyVersion: d.keyVersion as number | null,
    operation: d.operation as string,
    outcome: d.outcome as LedgerOutcome,
    errorCode: d.errorCode as string | null,
    requestId: d.requestId as string | null,
    traceId: d.traceId as string | null,
    paramsDigest: d.paramsDigest as string | null,
    details: d.details as LedgerEntry['details'],
    prevHash: Buffer.from(d.prevHash as string, 'hex'),
    entryHash: Buffer.from(d.entryHash as string, 'hex'),
  };
}
