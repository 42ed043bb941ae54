import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { AuditMeta, AuditTrail } from '@keybridge/ledger';
import { KeyGate } from '../access/key-gate';
import { parseAlgorithm, SIGN_ALGORITHMS } from '../algorithms/algorithm-table';
import { KeyCrypto } from '../algorithms/key-crypto';
import { binaryInput } from '../model/binary-input';
import { keyId } from '../model/key';
import { KeyOp } from '../model/key-op';
import { VerifyCommand, VerifyResult } from './verify.command';

@CommandHandler(VerifyCommand)
export class VerifyHandler implements ICommandHandler<VerifyCommand> {
  constructor(
    private readonly gate: KeyGate,
    private readonly crypto: KeyCrypto,
    private readonly audit: AuditTrail,
  ) {}

  execute({ caller, target, algorithm, digest, signature }: VerifyCommand): Promise<VerifyResult> {
    const meta: AuditMeta = { ctx: caller, operation: 'verify', vault: target.vault, keyName: target.name, params: { algorithm } };
    return this.audit.run(meta, async () => {
      const { key, version, usable } = await this.gate.open(caller, target, KeyOp.verify, meta);
      const alg = parseAlgorithm(SIGN_ALGORITHMS, algorithm, key.spec);
      const valid = await this.crypto.verify(usable, alg, binaryInput(digest, 'digest'), binaryInput(signature, 'signature'));
      meta.details = { valid };
      return { kid: keyId(key.vaultName, key.name, version.version), algorithm: alg, valid };
    });
  }
}
