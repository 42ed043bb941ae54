import { randomUUID } from 'node:crypto';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { Permission } from '@keybridge/auth';
import { binaryInput, invalidArgument, KeyOp } from '@keybridge/keys';
import { RewrapKeys } from '../access/rewrap-keys';
import { AuditMeta, AuditTrail } from '@keybridge/ledger';
import { Clock } from '@keybridge/platform';
import { checkExpiresAt, checkLabels, checkOwner, EscrowRecord } from '../model/escrow-record';
import { EscrowAlgorithm, parseEscrowAlgorithm } from '../model/wrapping';
import { EscrowRecordWriter } from '../persistence/escrow-record.writer';
import { DepositWrappedKeyCommand } from './deposit-wrapped-key.command';

/**
 * The bytes are not unwrapped here (deposit needs no unwrap permission); their length must fit the algorithm and
 * key. A blob that does not unwrap shows up at release (DECRYPTION_FAILED) or as a job failure (UNWRAP_FAILED).
 */
@CommandHandler(DepositWrappedKeyCommand)
export class DepositWrappedKeyHandler implements ICommandHandler<DepositWrappedKeyCommand> {
  constructor(
    private readonly keys: RewrapKeys,
    private readonly records: EscrowRecordWriter,
    private readonly audit: AuditTrail,
    private readonly clock: Clock,
  ) {}

  execute({ caller, key: target, algorithm, wrapped, owner, labels, expiresAt }: DepositWrappedKeyCommand): Promise<EscrowRecord> {
    const id = randomUUID();
    const meta: AuditMeta = {
      ctx: caller,
      operation: 'escrowDeposit',
      vault: target.vault,
      keyName: target.name,
      params: { algorithm },
      details: { recordId: id },
    };
    // Every check and read happens first; the record and its entry then commit in one group-commit statement.
    return this.audit.runCommitting(meta, async (commit) => {
      const checkedOwner = checkOwner(owner);
      const checkedLabels = checkLabels(labels);
      const now = this.clock.now();
      const checkedExpiry = checkExpiresAt(expiresAt, now);
      const { key, version } = await this.keys.openWrapping(caller, target, KeyOp.wrapKey, meta, Permission.escrowDeposit);
      const alg = parseEscrowAlgorithm(algorithm, key.spec);
      const bytes = binaryInput(wrapped, 'wrapped');
      checkWrappedLength(alg, bytes, key.spec.kty === 'RSA' ? key.spec.bits / 8 : 0);
      return commit.withEntry((success) => this.records.insert({
        id,
        vaultId: key.vaultId,
        keyId: key.id,
        keyVersion: version.version,
        algorithm: alg,
        wrapped: bytes,
        dekBits: null,
        owner: checkedOwner,
        labels: checkedLabels,
        origin: 'deposited',
        createdBy: caller.principal.id,
        expiresAt: checkedExpiry,
        now,
      }, success));
    });
  }
}

/** RFC 3394: 24+ bytes in multiples of 8; RFC 5649: 16+; RSA: the modulus length; all at most 1 KiB. */
function checkWrappedLength(algorithm: EscrowAlgorithm, wrapped: Buffer, modulusBytes: number): void {
  const n = wrapped.length;
  const ok =
    algorithm === 'RSA_OAEP' || algorithm === 'RSA_OAEP_256'
      ? n === modulusBytes
      : n % 8 === 0 && n >= (algorithm === 'CKM_AES_KEY_WRAP_PAD' ? 16 : 24) && n <= 1024;
  if (!ok) throw invalidArgument(`wrapped is not a ${algorithm} wrapped key for this key (${n} bytes)`, 'wrapped');
}
