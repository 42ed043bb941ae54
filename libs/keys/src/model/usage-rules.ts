import { KeyError, KeyErrorCode } from '../keys.errors';
import { KeyRecord, KeyVersionRecord } from './key';
import { KeyOp } from './key-op';

/** Operations still allowed outside nbf/exp (Azure Key Vault date-time rules). */
const ALLOWED_OUTSIDE_VALIDITY = new Set<KeyOp>([KeyOp.decrypt, KeyOp.unwrapKey, KeyOp.verify]);

export function assertUsable(key: KeyRecord, version: KeyVersionRecord, op: KeyOp, now: Date): void {
  if (!version.enabled) throw new KeyError(KeyErrorCode.KEY_DISABLED, `version ${version.version} is disabled`);
  if (!key.keyOps.includes(op)) {
    throw new KeyError(KeyErrorCode.OPERATION_NOT_ALLOWED, `key_ops of ${key.name} do not include ${op}`, { op });
  }
  if (version.version < key.minDecryptVersion) {
    throw new KeyError(KeyErrorCode.OPERATION_NOT_ALLOWED, `version ${version.version} is below the key's minimum version ${key.minDecryptVersion}`);
  }
  if (ALLOWED_OUTSIDE_VALIDITY.has(op)) return;
  if (version.nbf && now < version.nbf) throw new KeyError(KeyErrorCode.KEY_NOT_YET_VALID, `version ${version.version} is not valid before its nbf`);
  if (version.exp && now >= version.exp) throw new KeyError(KeyErrorCode.KEY_EXPIRED, `version ${version.version} expired`);
}
