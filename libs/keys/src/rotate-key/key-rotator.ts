import { Injectable } from '@nestjs/common';
import { EventRecorder, KeyEventKind } from '@keybridge/events';
import { TransactionCommit } from '@keybridge/ledger';
import { Clock, RequestContext } from '@keybridge/platform';
import { HsmKeyGenerator } from '../generation/hsm-key-generator';
import { KeyError, KeyErrorCode } from '../keys.errors';
import { Vault } from '../model/key';
import { KeyView, keyView } from '../model/key-view';
import { KeyRepository } from '../persistence/key.repository';

export interface RotationRequest {
  ctx: RequestContext;
  vault: Vault;
  name: string;
  /** Expiry of the new version (a rotation policy's expiryTime); none when absent. */
  exp: Date | null;
  /** Why: 'manual' (rotateKey) or 'policy'. Goes into the KeyRotated event. */
  reason: 'manual' | 'policy';
  /** The caller's AuditTrail commit: the version, the event and the caller's own entry in one transaction. */
  commit: TransactionCommit;
  /**
   * Policy rotations: re-checked under the key's row lock so that only one of several workers rotates. Returns false
   * when the rotation is no longer due (another worker did it).
   */
  stillDue?: (latestVersion: number) => boolean;
  /** The scheduler's "now" (its clock can differ from the ledger's in tests); the platform clock by default. */
  now?: Date;
  /** Told the new version number inside the transaction (before the caller's ledger entry is written). */
  onVersion?: (version: number) => void;
}

/**
 * A new version of a live key, generated in the HSM: shared by rotateKey and the lifecycle scheduler. The key row is
 * locked so concurrent rotations get consecutive version numbers; the KeyRotated event commits with the version.
 * Undefined when `stillDue` said no (the generated object is destroyed again).
 */
@Injectable()
export class KeyRotator {
  constructor(
    private readonly keys: KeyRepository,
    private readonly generator: HsmKeyGenerator,
    private readonly events: EventRecorder,
    private readonly clock: Clock,
  ) {}

  async rotate(r: RotationRequest, current: { latestVersion: number; spec: Parameters<HsmKeyGenerator['generateThen']>[0]['spec']; exportable: boolean }): Promise<KeyView | undefined> {
    const { vault, name } = r;
    try {
      return await this.generator.generateThen(
        { pool: vault.pool, label: `${vault.name}/${name}/${current.latestVersion + 1}`, spec: current.spec, exportable: current.exportable },
        (generated) =>
          r.commit(async (manager) => {
            const key = await this.keys.find(vault.id, name, 'live', manager, true);
            if (!key) throw new KeyError(KeyErrorCode.KEY_NOT_FOUND, `key ${name} not found in vault ${vault.name}`);
            if (r.stillDue && !r.stillDue(key.latestVersion)) throw new NotDue();
            const version = key.latestVersion + 1;
            r.onVersion?.(version);
            const now = r.now ?? this.clock.now();
            await this.keys.insertVersion(manager, {
              keyId: key.id,
              version,
              pool: vault.pool,
              hsmObjectId: generated.ref.objectId,
              enabled: true,
              nbf: null,
              exp: r.exp,
              origin: 'generated',
              publicJwk: generated.publicJwk ?? null,
              now,
            });
            await this.events.record(manager, {
              kind: KeyEventKind.KeyRotated,
              vault: vault.name,
              keyName: name,
              keyVersion: version,
              dedupeKey: `KeyRotated:${key.id}:${version}`,
              data: { reason: r.reason, previousVersion: key.latestVersion, exp: r.exp?.toISOString() ?? null },
              principalId: r.ctx.principalId,
              requestId: r.ctx.requestId,
            });
            const updated = await this.keys.find(vault.id, name, 'live', manager);
            const created = await this.keys.version(key.id, version, manager);
            if (!updated || !created) throw new Error('rotated version not readable in its own transaction');
            return keyView(updated, created);
          }),
      );
    } catch (error) {
      if (error instanceof NotDue) return undefined;
      throw error;
    }
  }
}

/** Thrown inside the transaction to roll it back (and destroy the generated object) when the rotation is not due. */
class NotDue extends Error {}
