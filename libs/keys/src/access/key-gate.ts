import { Injectable } from '@nestjs/common';
import { Caller, Permission } from '@keybridge/auth';
import { Clock } from '@keybridge/platform';
import { AuditMeta } from '@keybridge/ledger';
import { UsableKey } from '../algorithms/key-crypto';
import { KeyRecord, KeyVersionRecord } from '../model/key';
import { KeyOp } from '../model/key-op';
import { assertUsable } from '../model/usage-rules';
import { parseVersion } from '../model/version-spec';
import { KeyLocator } from './key-locator';
import { VaultAccess } from './vault-access';

export interface KeyTarget {
  vault: string;
  name: string;
  version?: string | null;
}

export interface OpenedKey {
  key: KeyRecord;
  version: KeyVersionRecord;
  usable: UsableKey;
}

const PERMISSION_FOR: Record<KeyOp, Permission> = {
  encrypt: Permission.encrypt,
  decrypt: Permission.decrypt,
  sign: Permission.sign,
  verify: Permission.verify,
  wrapKey: Permission.wrapKey,
  unwrapKey: Permission.unwrapKey,
};

/** Everything a cryptographic operation checks before it touches the HSM: permission, key, version, rules. */
@Injectable()
export class KeyGate {
  constructor(
    private readonly access: VaultAccess,
    private readonly locator: KeyLocator,
    private readonly clock: Clock,
  ) {}

  /**
   * Fills `meta.keyVersion` as soon as the version is known, so failures are recorded against it. `permission`
   * replaces the operation's own permission where a use case has its own (escrowRelease for an escrowed unwrap);
   * the key's rules for `op` apply either way.
   */
  async open(caller: Caller, target: KeyTarget, op: KeyOp, meta: AuditMeta, permission: Permission = PERMISSION_FOR[op]): Promise<OpenedKey> {
    const vault = await this.access.authorize(caller.principal, target.vault, permission);
    const requested = parseVersion(target.version);
    const { key, version } = await this.locator.keyAndVersion(vault, target.name, requested);
    meta.keyVersion = version.version;
    assertUsable(key, version, op, this.clock.now());
    return {
      key,
      version,
      usable: { ref: { pool: version.pool, objectId: version.hsmObjectId }, spec: key.spec, publicJwk: version.publicJwk },
    };
  }
}
