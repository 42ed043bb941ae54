import { CertificateBinding } from '../certificates/certificate-binding';
import { GlobalPermission } from '../permission';

export interface Principal {
  id: string;
  name: string;
  globalPermissions: GlobalPermission[];
  /** Present only for a principal bound to a client certificate (docs/mtls.md). */
  certificateBinding?: CertificateBinding;
}

export function isAdmin(principal: Principal): boolean {
  return principal.globalPermissions.includes(GlobalPermission.admin);
}
