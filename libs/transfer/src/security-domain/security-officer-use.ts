import { Inject, Injectable } from '@nestjs/common';
import { HSM_PORT, HsmPort } from '@keybridge/hsm';
import { LedgerWriter } from '@keybridge/ledger';
import { RequestContext } from '@keybridge/platform';

/**
 * Every use of a pool's security-officer credential is itself a ledger entry, committed before the SO logs in
 * (fail closed: no entry, no login). Pools whose export policy needs no SO get no entry.
 */
@Injectable()
export class SecurityOfficerUse {
  constructor(
    private readonly ledger: LedgerWriter,
    @Inject(HSM_PORT) private readonly hsm: HsmPort,
  ) {}

  needed(pool: string): boolean {
    return this.hsm.pools().find((p) => p.name === pool)?.exportPolicy === 'trusted';
  }

  async record(ctx: RequestContext, use: { pool: string; vault: string | null; keyName: string | null; purpose: string; details?: Record<string, string> }): Promise<void> {
    await this.ledger.append({
      principalId: ctx.principalId,
      vault: use.vault,
      keyName: use.keyName,
      keyVersion: null,
      operation: 'securityOfficerSession',
      outcome: 'success',
      errorCode: null,
      requestId: ctx.requestId,
      traceId: ctx.traceId ?? null,
      paramsDigest: null,
      details: { pool: use.pool, purpose: use.purpose, ...use.details },
    });
  }
}
