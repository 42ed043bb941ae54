import { Query } from '@nestjs/cqrs';
import { Caller } from '@keybridge/auth';
import { SecurityDomainView } from '../security-domain/security-domain.view';

/** Every security domain with its member pools and vaults. Admin or auditRead. */
export class ListSecurityDomainsQuery extends Query<SecurityDomainView[]> {
  constructor(readonly caller: Caller) {
    super();
  }
}
