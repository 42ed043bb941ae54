import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { AuditMeta, AuditTrail } from '@keybridge/ledger';
import { KeyGate } from '../access/key-gate';
import { parseAlgorithm, SIGN_ALGORITHMS } from '../algorithms/algorithm-table';
import { KeyCrypto } from '../algorithms/key-crypto';
import { binaryInput } from '../model/binary-input';
import { keyId } from '../model/key';
import { KeyOp } from '../model/key-op';
import { KeyOperationResult } from '../wrap-key/wrap-key.command';
import { SignCommand } from './sign.command';

@CommandHandler(SignCommand)
export class SignHandler implements ICommandHandler<SignCommand> {
  constructor(
    private readonly gate: KeyGate,
    private readonly crypto: KeyCrypto,
    private readonly audit: AuditTrail,
  ) {}

  execute({ caller, target, algorithm, digest }: SignCommand): Promise<KeyOperationResult> {
    const meta: AuditMeta = { ctx: caller, operation: 'sign', vault: target.vault, keyName: target.name, params: { algorithm } };
    return this.audit.run(meta, async () => {
      const { key, version, usable } = await this.gate.open(caller, target, KeyOp.sign, meta);
      const alg = parseAlgorithm(SIGN_ALGORITHMS, algorithm, key.spec);
      const signature = await this.crypto.sign(usable, alg, binaryInput(digest, 'digest'));
      return { kid: keyId(key.vaultName, key.name, version.version), algorithm: alg, value: signature.toString('base64url') };
    });
  }
}
