import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { AuditMeta, AuditTrail } from '@keybridge/ledger';
import { KeyGate } from '../access/key-gate';
import { parseAlgorithm, WRAP_ALGORITHMS } from '../algorithms/algorithm-table';
import { KeyCrypto } from '../algorithms/key-crypto';
import { binaryInput } from '../model/binary-input';
import { keyId } from '../model/key';
import { KeyOp } from '../model/key-op';
import { KeyOperationResult } from '../wrap-key/wrap-key.command';
import { UnwrapKeyCommand } from './unwrap-key.command';

@CommandHandler(UnwrapKeyCommand)
export class UnwrapKeyHandler implements ICommandHandler<UnwrapKeyCommand> {
  constructor(
    private readonly gate: KeyGate,
    private readonly crypto: KeyCrypto,
    private readonly audit: AuditTrail,
  ) {}

  execute({ caller, target, algorithm, value }: UnwrapKeyCommand): Promise<KeyOperationResult> {
    const meta: AuditMeta = { ctx: caller, operation: 'unwrapKey', vault: target.vault, keyName: target.name, params: { algorithm } };
    return this.audit.run(meta, async () => {
      const { key, version, usable } = await this.gate.open(caller, target, KeyOp.unwrapKey, meta);
      const alg = parseAlgorithm(WRAP_ALGORITHMS, algorithm, key.spec);
      const plain = await this.crypto.unwrap(usable, alg, binaryInput(value, 'value'));
      return { kid: keyId(key.vaultName, key.name, version.version), algorithm: alg, value: plain.toString('base64url') };
    });
  }
}
