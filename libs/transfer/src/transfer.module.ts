import { Module } from '@nestjs/common';
import { KeysModule } from '@keybridge/keys';
import { KeyMover } from './move-keys/key-mover';
import { KeyTransferRepository } from './persistence/key-transfer.repository';
import { TransferKeyHandler } from './transfer-key/transfer-key.handler';
import { VaultKeyTransfer } from './transfer-key/vault-key-transfer';

@Module({
  imports: [KeysModule],
  providers: [KeyMover, KeyTransferRepository, VaultKeyTransfer, TransferKeyHandler],
  exports: [VaultKeyTransfer],
})
export class TransferModule {}
