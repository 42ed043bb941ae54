import { randomUUID } from 'node:crypto';
import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { Permission } from '@keybridge/auth';
import { HSM_PORT, HsmPort } from '@keybridge/hsm';
import { KeyOp } from '@keybridge/keys';
import { RewrapKeys } from '../access/rewrap-keys';
import { AuditMeta, AuditTrail } from '@keybridge/ledger';
import { Clock } from '@keybridge/platform';
import { checkDekBits, checkExpiresAt, checkLabels, checkOwner } from '../model/escrow-record';
import { defaultAlgorithm, mechanismFor } from '../model/wrapping';
import { EscrowRecordWriter } from '../persistence/escrow-record.writer';
import { DataKeyResult, GenerateDataKeyCommand } from './generate-data-key.command';

@CommandHandler(GenerateDataKeyCommand)
export class GenerateDataKeyHandler implements ICommandHandler<GenerateDataKeyCommand> {
  constructor(
    private readonly keys: RewrapKeys,
    @Inject(HSM_PORT) private readonly hsm: HsmPort,
    private readonly records: EscrowRecordWriter,
    private readonly audit: AuditTrail,
    private readonly clock: Clock,
  ) {}

  execute({ caller, key: target, bits, owner, labels, expiresAt }: GenerateDataKeyCommand): Promise<DataKeyResult> {
    const id = randomUUID();
    const meta: AuditMeta = {
      ctx: caller,
      operation: 'escrowGenerateDataKey',
      vault: target.vault,
      keyName: target.name,
      params: { bits },
      details: { recordId: id },
    };
    return this.audit.runCommitting(meta, async (commit) => {
      const dekBits = checkDekBits(bits);
      const checkedOwner = checkOwner(owner);
      const checkedLabels = checkLabels(labels);
      const checkedExpiry = checkExpiresAt(expiresAt, this.clock.now());
      const { key, version, usable } = await this.keys.openWrapping(caller, target, KeyOp.wrapKey, meta, Permission.escrowDeposit);
      const algorithm = defaultAlgorithm(key.spec, this.hsm.capabilities(usable.ref.pool));
      meta.details = { recordId: id, algorithm };
      const dek = await this.hsm.generateDataKey(usable.ref, mechanismFor(algorithm), dekBits / 8);
      try {
        const record = await commit.withEntry((success) =>
          this.records.insert(
            {
            id,
            vaultId: key.vaultId,
            keyId: key.id,
            keyVersion: version.version,
            algorithm,
            wrapped: dek.wrapped,
            dekBits,
            owner: checkedOwner,
            labels: checkedLabels,
            origin: 'generated',
            createdBy: caller.principal.id,
            expiresAt: checkedExpiry,
            now: this.clock.now(),
            },
            success,
          ),
        );
        return { record, plaintext: dek.value.toString('base64url') };
      } finally {
        dek.value.fill(0);
      }
    });
  }
}
