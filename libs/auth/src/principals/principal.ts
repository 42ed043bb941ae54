import { GlobalPermission } from '../permission';

export interface Principal {
  id: string;
  name: string;
  globalPermissions: GlobalPermission[];
}

export function isAdmin(principal: Principal): boolean {
  return principal.globalPermissions.includes(GlobalPermission.admin);
}
