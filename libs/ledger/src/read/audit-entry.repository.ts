import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { LedgerEntry } from '../ledger-entry';
import { AuditFilter } from './audit-filter';
import { LedgerRow, toEntry } from './ledger-reader';

export type AuditGroupBy = 'OPERATION' | 'PRINCIPAL' | 'KEY' | 'OUTCOME' | 'DAY';

const GROUP_EXPRESSION: Record<AuditGroupBy, string> = {
  OPERATION: 'operation',
  PRINCIPAL: 'principal_id',
  KEY: `CASE WHEN key_name IS NULL THEN NULL ELSE '/vaults/' || vault || '/keys/' || key_name END`,
  OUTCOME: 'outcome',
  DAY: `to_char(recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')`,
};

/** Parameterised SQL text; values only ever travel as parameters. */
class Sql {
  readonly params: unknown[] = [];

  param(value: unknown): string {
    this.params.push(value);
    return `$${this.params.length}`;
  }
}

/**
 * Read side of the compliance queries. Pages are keyset pages in seq order (`seq > after`), so they are stable while
 * entries are appended: new entries only ever get higher numbers and commit in order. A list filter on an indexed
 * dimension becomes one index-ordered branch per value under a merge (UNION ALL … ORDER BY seq LIMIT n), so a
 * page costs about n index entries per branch however large the ledger is.
 */
@Injectable()
export class AuditEntryRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async page(filter: AuditFilter, afterSeq: number, limit: number, db: DataSource = this.dataSource): Promise<LedgerEntry[]> {
    const bounds = await this.seqBounds(filter, db);
    if (!bounds) return [];
    const sql = new Sql();
    const common = this.conditions(sql, filter, bounds);
    common.push(`seq > ${sql.param(afterSeq)}`);
    const lim = sql.param(limit);
    const branches = this.branches(sql, filter);
    const where = (extra: string | null): string => [...(extra ? [extra] : []), ...common].join(' AND ');
    const text =
      branches.length <= 1
        ? `SELECT * FROM ledger_entries WHERE ${where(branches[0] ?? null)} ORDER BY seq LIMIT ${lim}`
        : `SELECT * FROM (${branches
            .map((b) => `(SELECT * FROM ledger_entries WHERE ${where(b)} ORDER BY seq LIMIT ${lim})`)
            .join(' UNION ALL ')}) AS merged ORDER BY seq LIMIT ${lim}`;
    const rows = (await db.query(text, sql.params)) as LedgerRow[];
    return rows.map(toEntry);
  }

  async summary(groupBy: AuditGroupBy, filter: AuditFilter, maxGroups: number): Promise<Array<{ key: string | null; count: number }>> {
    const bounds = await this.seqBounds(filter, this.dataSource);
    if (!bounds) return [];
    const sql = new Sql();
    const conditions = this.conditions(sql, filter, bounds);
    const keys = filter.keys?.length ? `(${this.keyConditions(sql, filter).join(' OR ')})` : null;
    const where = [...(keys ? [keys] : []), ...conditions];
    const order = groupBy === 'DAY' ? '1' : '2 DESC, 1';
    const rows = (await this.dataSource.query(
      `SELECT ${GROUP_EXPRESSION[groupBy]} AS key, count(*) AS count FROM ledger_entries
        ${where.length ? `WHERE ${where.join(' AND ')}` : ''} GROUP BY 1 ORDER BY ${order} LIMIT ${sql.param(maxGroups)}`,
      sql.params,
    )) as Array<{ key: string | null; count: string }>;
    return rows.map((r) => ({ key: r.key, count: Number(r.count) }));
  }

  /**
   * recorded_at never decreases along the chain (ledger_append keeps it monotonic), so a time window is a seq range:
   * [first seq recorded at or after `from`, first seq recorded at or after `to`). Found on the (recorded_at, seq)
   * index in one probe each, it lets every ordered scan start inside the window. Undefined: nothing can match.
   */
  private async seqBounds(f: AuditFilter, db: DataSource): Promise<{ lo?: number; hi?: number } | undefined> {
    const first = async (at: Date): Promise<number | undefined> => {
      const rows = (await db.query('SELECT seq FROM ledger_entries WHERE recorded_at >= $1 ORDER BY recorded_at, seq LIMIT 1', [
        at.toISOString(),
      ])) as Array<{ seq: string }>;
      return rows.length ? Number(rows[0].seq) : undefined;
    };
    const lo = f.from ? await first(f.from) : undefined;
    if (f.from && lo === undefined) return undefined;
    const hi = f.to ? await first(f.to) : undefined;
    if (lo !== undefined && hi !== undefined && lo >= hi) return undefined;
    return { lo, hi };
  }

  /** Conditions on every dimension except the key segments (those become branches or an OR). */
  private conditions(sql: Sql, f: AuditFilter, bounds: { lo?: number; hi?: number } = {}): string[] {
    const out: string[] = [];
    if (bounds.lo !== undefined) out.push(`seq >= ${sql.param(bounds.lo)}`);
    if (bounds.hi !== undefined) out.push(`seq < ${sql.param(bounds.hi)}`);
    // a literal the planner can match against the partial indexes of denials and failures
    if (f.outcomes && !f.outcomes.includes('success')) out.push(`outcome <> 'success'`);
    // One value is written as `=` so the planner can walk the (column, seq) index in order.
    const anyOf = (column: string, values: string[] | undefined): void => {
      if (values) out.push(values.length === 1 ? `${column} = ${sql.param(values[0])}` : `${column} = ANY(${sql.param(values)}::text[])`);
    };
    anyOf('vault', f.vaults);
    anyOf('principal_id', f.principals);
    anyOf('operation', f.operations);
    anyOf('outcome', f.outcomes);
    if (f.traceId) out.push(`trace_id = ${sql.param(f.traceId)}`);
    if (f.from) out.push(`recorded_at >= ${sql.param(f.from.toISOString())}`);
    if (f.to) out.push(`recorded_at < ${sql.param(f.to.toISOString())}`);
    return out;
  }

  private keyConditions(sql: Sql, f: AuditFilter): string[] {
    return (f.keys ?? []).map((k) =>
      [
        `vault = ${sql.param(k.vault)}`,
        `key_name = ${sql.param(k.keyName)}`,
        ...(k.fromSeq !== undefined ? [`seq >= ${sql.param(k.fromSeq)}`] : []),
        ...(k.toSeq !== undefined ? [`seq <= ${sql.param(k.toSeq)}`] : []),
      ].join(' AND '),
    );
  }

  /** The driving dimension: the most selective list with an index that yields seq order per value. */
  private branches(sql: Sql, f: AuditFilter): string[] {
    if (f.keys?.length) return this.keyConditions(sql, f);
    if (f.traceId) return [];
    const pick = (column: string, values: string[] | undefined): string[] | undefined =>
      values && values.length > 1 ? values.map((v) => `${column} = ${sql.param(v)}`) : undefined;
    return pick('vault', f.vaults) ?? pick('principal_id', f.principals) ?? pick('operation', f.operations) ?? pick('outcome', f.outcomes) ?? [];
  }
}
