import { Args, Mutation, Resolver } from '@nestjs/graphql';
import { CommandBus } from '@nestjs/cqrs';
import { Caller } from '@keybridge/auth';
import { DecryptCommand, EncryptCommand, SignCommand, UnwrapKeyCommand, VerifyCommand, WrapKeyCommand } from '@keybridge/keys';
import { CurrentCaller } from '../../auth/current-caller.decorator';
import { KeyRefInput } from '../keys/key.input';
import { EncryptResultModel, KeyOperationResultModel, VerifyResultModel } from './crypto.model';

const WRAP = 'RSA_OAEP, RSA_OAEP_256, RSA1_5 (RSA); A128KW, A192KW, A256KW, CKM_AES_KEY_WRAP_PAD (AES)';
const ENCRYPT = 'RSA_OAEP, RSA_OAEP_256 (RSA); A128GCM, A192GCM, A256GCM (AES)';
const SIGN = 'RS256/384/512, PS256/384/512 (RSA); ES256 (P-256), ES384 (P-384), ES512 (P-521), ES256K (secp256k1)';

/** The algorithm lists of the descriptions, for the batch forms too. */
export const ALGORITHMS = {
  wrap: `Algorithms: ${WRAP}. Permission: wrapKey or unwrapKey`,
  encrypt: `Algorithms: ${ENCRYPT}. Permission: encrypt or decrypt`,
  sign: `Algorithms: ${SIGN}. Permission: sign or verify`,
};

/** Cryptographic operations with a key version; all byte values are base64url. */
@Resolver()
export class CryptoResolver {
  constructor(private readonly commands: CommandBus) {}

  @Mutation(() => KeyOperationResultModel, { description: `Wraps key material. Algorithms: ${WRAP}. Permission: wrapKey.` })
  wrapKey(
    @CurrentCaller() caller: Caller,
    @Args('key') key: KeyRefInput,
    @Args('algorithm') algorithm: string,
    @Args('value') value: string,
  ): Promise<KeyOperationResultModel> {
    return this.commands.execute(new WrapKeyCommand(caller, key, algorithm, value));
  }

  @Mutation(() => KeyOperationResultModel, { description: `Unwraps key material. Algorithms: ${WRAP}. Permission: unwrapKey.` })
  unwrapKey(
    @CurrentCaller() caller: Caller,
    @Args('key') key: KeyRefInput,
    @Args('algorithm') algorithm: string,
    @Args('value') value: string,
  ): Promise<KeyOperationResultModel> {
    return this.commands.execute(new UnwrapKeyCommand(caller, key, algorithm, value));
  }

  @Mutation(() => EncryptResultModel, { description: `Algorithms: ${ENCRYPT}. Permission: encrypt.` })
  encrypt(
    @CurrentCaller() caller: Caller,
    @Args('key') key: KeyRefInput,
    @Args('algorithm') algorithm: string,
    @Args('plaintext') plaintext: string,
    @Args('iv', { type: () => String, nullable: true }) iv: string | null,
    @Args('aad', { type: () => String, nullable: true }) aad: string | null,
  ): Promise<EncryptResultModel> {
    return this.commands.execute(new EncryptCommand(caller, key, algorithm, plaintext, iv, aad));
  }

  @Mutation(() => KeyOperationResultModel, { description: `Algorithms: ${ENCRYPT}. Permission: decrypt.` })
  decrypt(
    @CurrentCaller() caller: Caller,
    @Args('key') key: KeyRefInput,
    @Args('algorithm') algorithm: string,
    @Args('ciphertext') ciphertext: string,
    @Args('iv', { type: () => String, nullable: true }) iv: string | null,
    @Args('aad', { type: () => String, nullable: true }) aad: string | null,
    @Args('tag', { type: () => String, nullable: true }) tag: string | null,
  ): Promise<KeyOperationResultModel> {
    return this.commands.execute(new DecryptCommand(caller, key, algorithm, ciphertext, iv, aad, tag));
  }

  @Mutation(() => KeyOperationResultModel, { description: `Signs a digest. Algorithms: ${SIGN}. Permission: sign.` })
  sign(
    @CurrentCaller() caller: Caller,
    @Args('key') key: KeyRefInput,
    @Args('algorithm') algorithm: string,
    @Args('digest') digest: string,
  ): Promise<KeyOperationResultModel> {
    return this.commands.execute(new SignCommand(caller, key, algorithm, digest));
  }

  @Mutation(() => VerifyResultModel, { description: `Verifies a signature over a digest. Algorithms: ${SIGN}. Permission: verify.` })
  verify(
    @CurrentCaller() caller: Caller,
    @Args('key') key: KeyRefInput,
    @Args('algorithm') algorithm: string,
    @Args('digest') digest: string,
    @Args('signature') signature: string,
  ): Promise<VerifyResultModel> {
    return this.commands.execute(new VerifyCommand(caller, key, algorithm, digest, signature));
  }
}
