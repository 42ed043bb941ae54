import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { LedgerWriter } from '@keybridge/ledger';
import { DataSource } from 'typeorm';
import { GlobalPermission } from '../permission';
import { PrincipalRepository } from '../principals/principal.repository';
import { newApiToken } from '../tokens/api-token';
import { ApiTokenRepository } from '../tokens/api-token.repository';

/**
 * First start of an installation: an operator with database access (the local runner, or `keybridge
 * bootstrap-admin`) creates the admin principal and a token for it. Recorded in the ledger like any grant.
 */
@Injectable()
export class AdminBootstrapper {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly principals: PrincipalRepository,
    private readonly tokens: ApiTokenRepository,
    private readonly ledger: LedgerWriter,
  ) {}

  async issueAdminToken(name: string): Promise<string> {
    return this.db.transaction(async (manager) => {
      const principal =
        (await this.principals.findByName(name, manager)) ??
        (await this.principals.insert(manager, { name, globalPermissions: [GlobalPermission.admin, GlobalPermission.auditRead], jwtSubject: null }));
      if (!principal) throw new Error(`principal ${name} could not be created`);
      const { token, hash } = newApiToken();
      await this.tokens.insert(manager, { principalId: principal.id, hash, label: 'bootstrap', expiresAt: null });
      await this.ledger.appendWithin(manager, [
        {
          principalId: null,
          vault: null,
          keyName: null,
          keyVersion: null,
          operation: 'bootstrapAdmin',
          outcome: 'success',
          errorCode: null,
          requestId: null,
          traceId: null,
          paramsDigest: null,
          details: { principal: name },
        },
      ]);
      return token;
    });
  }
}
