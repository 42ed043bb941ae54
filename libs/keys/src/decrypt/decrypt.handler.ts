import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { AuditMeta, AuditTrail } from '@keybridge/ledger';
import { KeyGate } from '../access/key-gate';
import { ENCRYPT_ALGORITHMS, parseAlgorithm } from '../algorithms/algorithm-table';
import { KeyCrypto } from '../algorithms/key-crypto';
import { binaryInput, optionalBinaryInput } from '../model/binary-input';
import { keyId } from '../model/key';
import { KeyOp } from '../model/key-op';
import { KeyOperationResult } from '../wrap-key/wrap-key.command';
import { DecryptCommand } from './decrypt.command';

@CommandHandler(DecryptCommand)
export class DecryptHandler implements ICommandHandler<DecryptCommand> {
  constructor(
    private readonly gate: KeyGate,
    private readonly crypto: KeyCrypto,
    private readonly audit: AuditTrail,
  ) {}

  execute({ caller, target, algorithm, ciphertext, iv, aad, tag }: DecryptCommand): Promise<KeyOperationResult> {
    const meta: AuditMeta = { ctx: caller, operation: 'decrypt', vault: target.vault, keyName: target.name, params: { algorithm } };
    return this.audit.run(meta, async () => {
      const { key, version, usable } = await this.gate.open(caller, target, KeyOp.decrypt, meta);
      const alg = parseAlgorithm(ENCRYPT_ALGORITHMS, algorithm, key.spec);
      const plain = await this.crypto.decrypt(
        usable,
        alg,
        binaryInput(ciphertext, 'ciphertext'),
        optionalBinaryInput(iv, 'iv'),
        optionalBinaryInput(aad, 'aad'),
        optionalBinaryInput(tag, 'tag'),
      );
      return { kid: keyId(key.vaultName, key.name, version.version), algorithm: alg, value: plain.toString('base64url') };
    });
  }
}
