import { Module } from '@nestjs/common';
import { EventsModule } from '@keybridge/events';
import { KeyGate } from './access/key-gate';
import { KeyLocator } from './access/key-locator';
import { VaultAccess } from './access/vault-access';
import { KeyCrypto } from './algorithms/key-crypto';
import { CreateKeyHandler } from './create-key/create-key.handler';
import { CreateVaultHandler } from './create-vault/create-vault.handler';
import { DecryptHandler } from './decrypt/decrypt.handler';
import { DeleteKeyHandler } from './delete-key/delete-key.handler';
import { EncryptHandler } from './encrypt/encrypt.handler';
import { HsmKeyGenerator } from './generation/hsm-key-generator';
import { GetKeyHandler } from './get-key/get-key.handler';
import { ListKeyVersionsHandler } from './list-key-versions/list-key-versions.handler';
import { ListKeysHandler } from './list-keys/list-keys.handler';
import { ListPoolsHandler } from './list-pools/list-pools.handler';
import { ListVaultsHandler } from './list-vaults/list-vaults.handler';
import { KeyRepository } from './persistence/key.repository';
import { VaultRepository } from './persistence/vault.repository';
import { PurgeKeyHandler } from './purge-key/purge-key.handler';
import { RecoverKeyHandler } from './recover-key/recover-key.handler';
import { KeyRotator } from './rotate-key/key-rotator';
import { RotateKeyHandler } from './rotate-key/rotate-key.handler';
import { SetGrantHandler } from './set-grant/set-grant.handler';
import { SetMinDecryptVersionHandler } from './set-min-decrypt-version/set-min-decrypt-version.handler';
import { SignHandler } from './sign/sign.handler';
import { UnwrapKeyHandler } from './unwrap-key/unwrap-key.handler';
import { UpdateKeyHandler } from './update-key/update-key.handler';
import { VerifyHandler } from './verify/verify.handler';
import { WrapKeyHandler } from './wrap-key/wrap-key.handler';
import { KeyBatchRunner } from './batch/key-batch.runner';
import { WrapKeysHandler } from './wrap-keys/wrap-keys.handler';
import { UnwrapKeysHandler } from './unwrap-keys/unwrap-keys.handler';
import { EncryptBatchHandler } from './encrypt-batch/encrypt-batch.handler';
import { DecryptBatchHandler } from './decrypt-batch/decrypt-batch.handler';
import { SignBatchHandler } from './sign-batch/sign-batch.handler';
import { VerifyBatchHandler } from './verify-batch/verify-batch.handler';

@Module({
  imports: [EventsModule],
  providers: [
    VaultRepository,
    KeyRepository,
    VaultAccess,
    KeyLocator,
    KeyGate,
    KeyCrypto,
    KeyBatchRunner,
    WrapKeysHandler,
    UnwrapKeysHandler,
    EncryptBatchHandler,
    DecryptBatchHandler,
    SignBatchHandler,
    VerifyBatchHandler,
    HsmKeyGenerator,
    KeyRotator,
    CreateVaultHandler,
    ListVaultsHandler,
    ListPoolsHandler,
    SetGrantHandler,
    CreateKeyHandler,
    GetKeyHandler,
    ListKeysHandler,
    ListKeyVersionsHandler,
    UpdateKeyHandler,
    RotateKeyHandler,
    SetMinDecryptVersionHandler,
    DeleteKeyHandler,
    RecoverKeyHandler,
    PurgeKeyHandler,
    WrapKeyHandler,
    UnwrapKeyHandler,
    EncryptHandler,
    DecryptHandler,
    SignHandler,
    VerifyHandler,
  ],
  exports: [VaultRepository, VaultAccess, KeyLocator, KeyGate, KeyRepository, KeyRotator],
})
export class KeysModule {}
