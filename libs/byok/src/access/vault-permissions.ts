import { AuthError, AuthErrorCode, Permission, Principal } from '@keybridge/auth';
import { Vault, VaultAccess } from '@keybridge/keys';

/** VaultAccess.authorize for reads that more than one duty may make; FORBIDDEN names the last permission tried. */
export async function authorizeAny(access: VaultAccess, principal: Principal, vault: string, permissions: Permission[]): Promise<Vault> {
  let refusal: unknown;
  for (const permission of permissions) {
    try {
      return await access.authorize(principal, vault, permission);
    } catch (error) {
      if (!(error instanceof AuthError) || error.code !== AuthErrorCode.FORBIDDEN) throw error;
      refusal = error;
    }
  }
  throw refusal;
}
