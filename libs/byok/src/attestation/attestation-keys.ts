import { createHash, randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { HSM_PORT, HsmPort, KeyUsage, PublicKeyJwk } from '@keybridge/hsm';
import { Vault } from '@keybridge/keys';
import { AuditMeta, AuditTrail } from '@keybridge/ledger';
import { Clock, RequestContext } from '@keybridge/platform';
import { AttestationKeyRecord } from '../model/transport-key';
import { AttestationKeyRepository } from '../persistence/attestation-key.repository';

const SIGN_ONLY: KeyUsage = { encrypt: false, decrypt: false, wrap: false, unwrap: false, sign: true, verify: true };

/**
 * Each vault's attestation key: EC P-256, generated in the vault's pool on first use, never exportable; it signs
 * the attestation of every transport key the vault hands out. Its public key is stored and published.
 */
@Injectable()
export class AttestationKeys {
  constructor(
    @Inject(HSM_PORT) private readonly hsm: HsmPort,
    private readonly keys: AttestationKeyRepository,
    private readonly audit: AuditTrail,
    private readonly clock: Clock,
  ) {}

  async ensure(ctx: RequestContext, vault: Vault): Promise<AttestationKeyRecord> {
    const existing = await this.keys.findByVault(vault.id);
    if (existing) return existing;
    const meta: AuditMeta = { ctx, operation: 'createAttestationKey', vault: vault.name, details: { pool: vault.pool, curve: 'P-256' } };
    let generated: { pool: string; objectId: string } | undefined;
    try {
      return await this.audit.runInTransaction(meta, async (manager) => {
        // One creator per vault: the row lock makes a concurrent first use wait, then find this key.
        await this.keys.lockVault(manager, vault.id);
        const raced = await this.keys.findByVault(vault.id, manager);
        if (raced) {
          if (meta.details) meta.details.created = false;
          return raced;
        }
        const key = await this.hsm.generateKey({
          pool: vault.pool,
          objectId: randomBytes(16).toString('hex'),
          label: `${vault.name}/attestation`,
          spec: { kty: 'EC', curve: 'P-256' },
          usage: SIGN_ONLY,
          exportable: false,
        });
        generated = key.ref;
        await this.keys.insert(manager, {
          vaultId: vault.id,
          pool: vault.pool,
          hsmObjectId: key.ref.objectId,
          publicJwk: key.publicJwk as PublicKeyJwk,
          createdAt: this.clock.now(),
        });
        const created = await this.keys.findByVault(vault.id, manager);
        if (!created) throw new Error('attestation key not readable in its own transaction');
        return created;
      });
    } catch (error) {
      if (generated) await this.hsm.destroyKey(generated).catch(() => undefined);
      throw error;
    }
  }

  /** ES256 over the payload: SHA-256 in Node, ECDSA in the HSM; r || s. */
  async sign(key: AttestationKeyRecord, payload: string): Promise<Buffer> {
    const digest = createHash('sha256').update(payload, 'utf8').digest();
    return this.hsm.sign({ pool: key.pool, objectId: key.hsmObjectId }, { name: 'ECDSA' }, digest);
  }
}
