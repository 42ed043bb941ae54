import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { FULL_USAGE, GeneratedKey, HSM_PORT, HsmPort, KeySpec } from '@keybridge/hsm';

/**
 * Generates a key version inside the HSM and hands the new object to a database transaction; if that
 * transaction (or its ledger entry) fails, the object is destroyed again so nothing unrecorded remains.
 * The HSM objects get every usage their type allows; key_ops, which can change, are enforced by the gateway.
 */
@Injectable()
export class HsmKeyGenerator {
  constructor(@Inject(HSM_PORT) private readonly hsm: HsmPort) {}

  async generateThen<T>(
    request: { pool: string; label: string; spec: KeySpec; exportable: boolean },
    persist: (generated: GeneratedKey) => Promise<T>,
  ): Promise<T> {
    const generated = await this.hsm.generateKey({
      pool: request.pool,
      objectId: randomBytes(16).toString('hex'),
      label: request.label,
      spec: request.spec,
      usage: FULL_USAGE[request.spec.kty],
      exportable: request.exportable,
    });
    try {
      return await persist(generated);
    } catch (error) {
      await this.hsm.destroyKey(generated.ref).catch(() => undefined);
      throw error;
    }
  }
}

