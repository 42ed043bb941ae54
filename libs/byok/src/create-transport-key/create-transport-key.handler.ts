import { randomBytes, randomUUID } from 'node:crypto';
import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { Permission } from '@keybridge/auth';
import { HSM_PORT, HsmPort, KeyUsage, PublicKeyJwk, RsaBits } from '@keybridge/hsm';
import { invalidArgument, VaultAccess } from '@keybridge/keys';
import { AuditMeta, AuditTrail } from '@keybridge/ledger';
import { Clock } from '@keybridge/platform';
import { AttestationKeys } from '../attestation/attestation-keys';
import { ATTESTATION_FORMAT, ATTESTATION_VERSION, AttestationClaims, canonicalClaims } from '../formats/transport-key-attestation';
import { attestationKid, spkiBase64Url, transportKid } from '../model/transport-key';
import { TransportKeyView, transportKeyView } from '../model/transport-key-view';
import { TransportKeyRepository } from '../persistence/transport-key.repository';
import { CreateTransportKeyCommand } from './create-transport-key.command';

export const TRANSPORT_KEY_DEFAULTS = { size: 3072, expiresIn: 86_400, maxUses: 1 } as const;
export const TRANSPORT_KEY_LIMITS = { expiresIn: { min: 60, max: 604_800 }, maxUses: { min: 1, max: 100 } } as const;

/** The private half may only unwrap; the public half does nothing in the HSM (customers encrypt to it). */
const UNWRAP_ONLY: KeyUsage = { encrypt: false, decrypt: false, wrap: false, unwrap: true, sign: false, verify: false };

@CommandHandler(CreateTransportKeyCommand)
export class CreateTransportKeyHandler implements ICommandHandler<CreateTransportKeyCommand> {
  constructor(
    private readonly access: VaultAccess,
    private readonly transportKeys: TransportKeyRepository,
    private readonly attestation: AttestationKeys,
    @Inject(HSM_PORT) private readonly hsm: HsmPort,
    private readonly audit: AuditTrail,
    private readonly clock: Clock,
  ) {}

  execute({ caller, input }: CreateTransportKeyCommand): Promise<TransportKeyView> {
    const details: Record<string, string | number> = {};
    const meta: AuditMeta = { ctx: caller, operation: 'createTransportKey', vault: input.vault, details };
    return this.audit.runCommitting(meta, async (commit) => {
      const vault = await this.access.authorize(caller.principal, input.vault, Permission.manageTransportKeys);
      const size = input.size ?? TRANSPORT_KEY_DEFAULTS.size;
      if (![2048, 3072, 4096].includes(size)) throw invalidArgument('size must be 2048, 3072 or 4096', 'size');
      const expiresIn = input.expiresIn ?? TRANSPORT_KEY_DEFAULTS.expiresIn;
      const { min, max } = TRANSPORT_KEY_LIMITS.expiresIn;
      if (!Number.isInteger(expiresIn) || expiresIn < min || expiresIn > max) throw invalidArgument(`expiresIn must be ${min} to ${max} seconds`, 'expiresIn');
      const maxUses = input.maxUses ?? TRANSPORT_KEY_DEFAULTS.maxUses;
      if (!Number.isInteger(maxUses) || maxUses < TRANSPORT_KEY_LIMITS.maxUses.min || maxUses > TRANSPORT_KEY_LIMITS.maxUses.max) {
        throw invalidArgument(`maxUses must be ${TRANSPORT_KEY_LIMITS.maxUses.min} to ${TRANSPORT_KEY_LIMITS.maxUses.max}`, 'maxUses');
      }
      Object.assign(details, { size, expiresIn, maxUses });
      const oaepHashes = [...this.hsm.capabilities(vault.pool).oaepHashes].sort();
      const attestationKey = await this.attestation.ensure(caller, vault);
      const id = randomUUID();
      const kid = transportKid(vault.name, id);
      details.transportKid = kid;
      const generated = await this.hsm.generateKey({
        pool: vault.pool,
        objectId: randomBytes(16).toString('hex'),
        label: `${vault.name}/transport/${id}`,
        spec: { kty: 'RSA', bits: size as RsaBits },
        usage: UNWRAP_ONLY,
        exportable: false,
      });
      try {
        const publicJwk = generated.publicJwk as Extract<PublicKeyJwk, { kty: 'RSA' }>;
        const now = this.clock.now();
        const expiresAt = new Date(now.getTime() + expiresIn * 1000);
        const claims: AttestationClaims = {
          format: ATTESTATION_FORMAT,
          version: ATTESTATION_VERSION,
          kid,
          vault: vault.name,
          pool: vault.pool,
          spki: spkiBase64Url(publicJwk),
          keyOps: ['import'],
          oaepHashes,
          maxUses,
          issuedAt: now.toISOString(),
          expiresAt: expiresAt.toISOString(),
          attestationKid: attestationKid(vault.name, attestationKey.id),
        };
        const payload = canonicalClaims(claims);
        const signature = await this.attestation.sign(attestationKey, payload);
        return await commit(async (manager) => {
          await this.transportKeys.insert(manager, {
            id,
            vaultId: vault.id,
            pool: vault.pool,
            hsmObjectId: generated.ref.objectId,
            size,
            publicJwk,
            oaepHashes,
            maxUses,
            createdBy: caller.principalId,
            createdAt: now,
            expiresAt,
            attestationKeyId: attestationKey.id,
            attestationPayload: payload,
            attestationSignature: signature,
          });
          const created = await this.transportKeys.find(vault.id, id, manager);
          if (!created) throw new Error('transport key not readable in its own transaction');
          return transportKeyView(created, attestationKey, now);
        });
      } catch (error) {
        await this.hsm.destroyKey(generated.ref).catch(() => undefined);
        throw error;
      }
    });
  }
}
