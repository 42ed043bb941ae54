import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { AuditMeta, AuditTrail } from '@keybridge/ledger';
import { KeyGate } from '../access/key-gate';
import { parseAlgorithm, WRAP_ALGORITHMS } from '../algorithms/algorithm-table';
import { KeyCrypto } from '../algorithms/key-crypto';
import { binaryInput } from '../model/binary-input';
import { keyId } from '../model/key';
import { KeyOp } from '../model/key-op';
import { KeyOperationResult, WrapKeyCommand } from './wrap-key.command';

@CommandHandler(WrapKeyCommand)
export class WrapKeyHandler implements ICommandHandler<WrapKeyCommand> {
  constructor(
    private readonly gate: KeyGate,
    private readonly crypto: KeyCrypto,
    private readonly audit: AuditTrail,
  ) {}

  execute({ caller, target, algorithm, value }: WrapKeyCommand): Promise<KeyOperationResult> {
    const meta: AuditMeta = { ctx: caller, operation: 'wrapKey', vault: target.vault, keyName: target.name, params: { algorithm } };
    return this.audit.run(meta, async () => {
      const { key, version, usable } = await this.gate.open(caller, target, KeyOp.wrapKey, meta);
      const alg = parseAlgorithm(WRAP_ALGORITHMS, algorithm, key.spec);
      const wrapped = await this.crypto.wrap(usable, alg, binaryInput(value, 'value'));
      return { kid: keyId(key.vaultName, key.name, version.version), algorithm: alg, value: wrapped.toString('base64url') };
    });
  }
}
