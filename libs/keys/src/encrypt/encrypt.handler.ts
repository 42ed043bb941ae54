import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { AuditMeta, AuditTrail } from '@keybridge/ledger';
import { KeyGate } from '../access/key-gate';
import { ENCRYPT_ALGORITHMS, parseAlgorithm } from '../algorithms/algorithm-table';
import { KeyCrypto } from '../algorithms/key-crypto';
import { binaryInput, optionalBinaryInput } from '../model/binary-input';
import { keyId } from '../model/key';
import { KeyOp } from '../model/key-op';
import { EncryptCommand, EncryptResult } from './encrypt.command';

@CommandHandler(EncryptCommand)
export class EncryptHandler implements ICommandHandler<EncryptCommand> {
  constructor(
    private readonly gate: KeyGate,
    private readonly crypto: KeyCrypto,
    private readonly audit: AuditTrail,
  ) {}

  execute({ caller, target, algorithm, plaintext, iv, aad }: EncryptCommand): Promise<EncryptResult> {
    const meta: AuditMeta = { ctx: caller, operation: 'encrypt', vault: target.vault, keyName: target.name, params: { algorithm } };
    return this.audit.run(meta, async () => {
      const { key, version, usable } = await this.gate.open(caller, target, KeyOp.encrypt, meta);
      const alg = parseAlgorithm(ENCRYPT_ALGORITHMS, algorithm, key.spec);
      const out = await this.crypto.encrypt(usable, alg, binaryInput(plaintext, 'plaintext'), optionalBinaryInput(iv, 'iv'), optionalBinaryInput(aad, 'aad'));
      return {
        kid: keyId(key.vaultName, key.name, version.version),
        algorithm: alg,
        value: out.ciphertext.toString('base64url'),
        iv: out.iv?.toString('base64url') ?? null,
        tag: out.tag?.toString('base64url') ?? null,
        aad,
      };
    });
  }
}
