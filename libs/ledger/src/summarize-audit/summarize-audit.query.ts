import { Query } from '@nestjs/cqrs';
import { AuditCaller } from '../access/audit-access';
import { AuditGroupBy } from '../read/audit-entry.repository';
import { AuditFilterInput } from '../read/audit-filter';

export interface AuditCount {
  /** The group's value: operation, principal id, key id, outcome or UTC day (YYYY-MM-DD); null for "none". */
  key: string | null;
  count: number;
}

/** Entry counts per group (most frequent first; DAY in date order), over the entries matching the filter. */
export class SummarizeAuditQuery extends Query<AuditCount[]> {
  constructor(
    readonly caller: AuditCaller,
    readonly groupBy: AuditGroupBy,
    readonly filter: AuditFilterInput | null,
  ) {
    super();
  }
}
