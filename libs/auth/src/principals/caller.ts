import { RequestContext } from '@keybridge/platform';
import { AuthError, AuthErrorCode } from '../auth.errors';
import { GlobalPermission } from '../permission';
import { Principal } from './principal';

/** The authenticated principal plus the request it is making; every command carries one. */
export interface Caller extends RequestContext {
  principal: Principal;
}

export function callerContext(principal: Principal, requestId: string, traceId?: string): Caller {
  return { principal, principalId: principal.id, requestId, traceId };
}

export function requireGlobal(caller: Caller, permission: GlobalPermission): void {
  if (!caller.principal.globalPermissions.includes(permission)) {
    throw new AuthError(AuthErrorCode.FORBIDDEN, `missing permission ${permission}`, { permission }).asDenial();
  }
}
