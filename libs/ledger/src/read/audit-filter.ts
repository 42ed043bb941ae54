import { LedgerOutcome } from '../ledger-entry';
import { invalidLedgerArgument } from '../ledger.errors';

/** A key inside the ledger, optionally limited to a range of sequence numbers (a lineage segment). */
export interface KeySegment {
  vault: string;
  keyName: string;
  fromSeq?: number;
  toSeq?: number;
}

/** What compliance queries filter on; lists are ORed within, dimensions ANDed across. */
export interface AuditFilter {
  vaults?: string[];
  keys?: KeySegment[];
  principals?: string[];
  operations?: string[];
  outcomes?: LedgerOutcome[];
  from?: Date;
  to?: Date;
  traceId?: string;
}

export interface AuditFilterInput {
  vaults?: string[] | null;
  keys?: string[] | null;
  principals?: string[] | null;
  operations?: string[] | null;
  outcomes?: string[] | null;
  from?: Date | null;
  to?: Date | null;
  traceId?: string | null;
}

const MAX_VALUES = 50;
const OUTCOMES: readonly LedgerOutcome[] = ['success', 'denied', 'failed'];
const KID = /^\/vaults\/([a-z0-9][a-z0-9-]{0,62})\/keys\/([A-Za-z0-9][A-Za-z0-9-]{0,126})(?:\/(\d{1,9}))?$/;

/** `/vaults/<vault>/keys/<name>` (a trailing `/<version>` is accepted and ignored: history is per key). */
export function parseKeyId(kid: string, field: string): { vault: string; keyName: string } {
  const m = KID.exec(kid);
  if (!m) throw invalidLedgerArgument(`${field} must be key ids like /vaults/<vault>/keys/<name>`, field);
  return { vault: m[1], keyName: m[2] };
}

function list(values: string[] | null | undefined, field: string, max = 256): string[] | undefined {
  if (values === null || values === undefined) return undefined;
  if (values.length === 0 || values.length > MAX_VALUES) throw invalidLedgerArgument(`${field} takes 1-${MAX_VALUES} values`, field);
  if (values.some((v) => v.length === 0 || v.length > max)) throw invalidLedgerArgument(`${field} values are 1-${max} characters`, field);
  return [...new Set(values)];
}

export function parseAuditFilter(input: AuditFilterInput | null | undefined): AuditFilter {
  if (!input) return {};
  const outcomes = list(input.outcomes, 'filter.outcomes');
  if (outcomes?.some((o) => !OUTCOMES.includes(o as LedgerOutcome))) throw invalidLedgerArgument('outcomes are success, denied, failed', 'filter.outcomes');
  if (input.from && input.to && input.from >= input.to) throw invalidLedgerArgument('from must be before to', 'filter.from');
  if (input.traceId !== null && input.traceId !== undefined && !/^[0-9a-f]{32}$/.test(input.traceId)) {
    throw invalidLedgerArgument('traceId is 32 lower-case hex digits (W3C trace id)', 'filter.traceId');
  }
  return {
    vaults: list(input.vaults, 'filter.vaults', 63),
    keys: list(input.keys, 'filter.keys')?.map((k) => parseKeyId(k, 'filter.keys')),
    principals: list(input.principals, 'filter.principals', 64),
    operations: list(input.operations, 'filter.operations', 64),
    outcomes: outcomes as LedgerOutcome[] | undefined,
    from: input.from ?? undefined,
    to: input.to ?? undefined,
    traceId: input.traceId ?? undefined,
  };
}
