import { RequestContext } from '@keybridge/platform';
import { LedgerError, LedgerErrorCode } from '../ledger.errors';

/**
 * The caller as the ledger needs it. Structurally satisfied by `Caller` from @keybridge/auth, which the ledger
 * cannot import (auth records its own operations through the ledger).
 */
export interface AuditCaller extends RequestContext {
  principal: { globalPermissions: readonly string[] };
}

/** The global permission `auditRead` (GlobalPermission.auditRead in @keybridge/auth). */
export const AUDIT_READ = 'auditRead';
export const ADMIN = 'admin';

export function requireAuditRead(caller: AuditCaller, alsoAllowed: readonly string[] = []): void {
  const held = caller.principal.globalPermissions;
  if (held.includes(AUDIT_READ) || alsoAllowed.some((p) => held.includes(p))) return;
  throw new LedgerError(LedgerErrorCode.FORBIDDEN, `missing permission ${AUDIT_READ}`, { permission: AUDIT_READ }).asDenial();
}
