import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { AuthError, AuthErrorCode, GlobalPermission } from '@keybridge/auth';
import { SecurityDomainRepository } from '../security-domain/security-domain.repository';
import { SecurityDomainView, securityDomainView } from '../security-domain/security-domain.view';
import { ListSecurityDomainsQuery } from './list-security-domains.query';

@QueryHandler(ListSecurityDomainsQuery)
export class ListSecurityDomainsHandler implements IQueryHandler<ListSecurityDomainsQuery> {
  constructor(private readonly domains: SecurityDomainRepository) {}

  async execute({ caller }: ListSecurityDomainsQuery): Promise<SecurityDomainView[]> {
    const held = caller.principal.globalPermissions;
    if (!held.includes(GlobalPermission.admin) && !held.includes(GlobalPermission.auditRead)) {
      throw new AuthError(AuthErrorCode.FORBIDDEN, 'missing permission admin or auditRead', { permission: 'admin' }).asDenial();
    }
    const domains = await this.domains.list();
    return Promise.all(domains.map(async (d) => securityDomainView(d, await this.domains.pools(d.id), await this.domains.vaultNames(d.id))));
  }
}
