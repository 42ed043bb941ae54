import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { Permission } from '@keybridge/auth';
import { HSM_PORT, HsmError, HsmErrorCode, HsmPort } from '@keybridge/hsm';
import { KeyError, KeyErrorCode, KeyGate, KeyOp } from '@keybridge/keys';
import { AuditMeta, AuditTrail } from '@keybridge/ledger';
import { Clock } from '@keybridge/platform';
import { EscrowError, EscrowErrorCode } from '../escrow.errors';
import { DataKeyResult } from '../generate-data-key/generate-data-key.command';
import { isEscrowAlgorithm, mechanismFor } from '../model/wrapping';
import { EscrowRecordRepository } from '../persistence/escrow-record.repository';
import { ReleaseDataKeyCommand } from './release-data-key.command';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

@CommandHandler(ReleaseDataKeyCommand)
export class ReleaseDataKeyHandler implements ICommandHandler<ReleaseDataKeyCommand> {
  constructor(
    private readonly gate: KeyGate,
    @Inject(HSM_PORT) private readonly hsm: HsmPort,
    private readonly records: EscrowRecordRepository,
    private readonly audit: AuditTrail,
    private readonly clock: Clock,
  ) {}

  execute({ caller, id }: ReleaseDataKeyCommand): Promise<DataKeyResult> {
    const meta: AuditMeta = { ctx: caller, operation: 'escrowRelease', vault: null, details: { recordId: UUID.test(id) ? id.toLowerCase() : null } };
    return this.audit.run(meta, async () => {
      const record = UUID.test(id) ? await this.records.findWrapped(id.toLowerCase()) : undefined;
      if (!record) throw notFound();
      meta.vault = record.vault;
      meta.keyName = record.keyName;
      meta.keyVersion = record.keyVersion;
      meta.params = { algorithm: record.algorithm };
      if (record.keyName === null) throw new KeyError(KeyErrorCode.KEY_NOT_FOUND, 'the key this record is wrapped under was purged');
      let opened;
      try {
        opened = await this.gate.open(caller, { vault: record.vault, name: record.keyName, version: String(record.keyVersion) }, KeyOp.unwrapKey, meta, Permission.escrowRelease);
      } catch (error) {
        // Without any grant on the record's vault, the record does not exist for this caller (its vault's name stays hidden).
        if (error instanceof KeyError && error.code === KeyErrorCode.VAULT_NOT_FOUND) throw notFound().asDenial();
        throw error;
      }
      if (opened.key.id !== record.keyId) throw new KeyError(KeyErrorCode.KEY_NOT_FOUND, 'the key this record is wrapped under was purged');
      if (!isEscrowAlgorithm(record.algorithm)) throw new KeyError(KeyErrorCode.UNSUPPORTED_ALGORITHM, 'the record carries an unknown algorithm');
      // After the caller's access was checked, so the answer tells nothing to someone without a grant.
      if (record.wrapped === null || (record.expiresAt && record.expiresAt.getTime() <= this.clock.now().getTime())) {
        throw new EscrowError(EscrowErrorCode.ESCROW_RECORD_EXPIRED, `escrow record expired at ${record.expiresAt?.toISOString() ?? 'an earlier time'}`, {
          ...(record.purgedAt ? { purged: true } : {}),
        });
      }
      const wrappedBytes = record.wrapped;
      let value: Buffer;
      try {
        value = await this.hsm.unwrapValue(opened.usable.ref, mechanismFor(record.algorithm), wrappedBytes);
      } catch (error) {
        if (error instanceof HsmError && error.code === HsmErrorCode.HSM_INVALID_INPUT) {
          throw new KeyError(KeyErrorCode.DECRYPTION_FAILED, 'the escrowed key did not unwrap under its key version');
        }
        throw error;
      }
      try {
        return { record, plaintext: value.toString('base64url') };
      } finally {
        value.fill(0);
      }
    });
  }
}

function notFound(): EscrowError {
  return new EscrowError(EscrowErrorCode.ESCROW_RECORD_NOT_FOUND, 'escrow record not found');
}
