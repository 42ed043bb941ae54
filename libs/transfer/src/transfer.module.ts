import { Module } from '@nestjs/common';
import { KeysModule } from '@keybridge/keys';
import { ActivateSecurityDomainHandler } from './activate-security-domain/activate-security-domain.handler';
import { AddVaultToSecurityDomainHandler } from './add-vault-to-security-domain/add-vault-to-security-domain.handler';
import { DomainKeys } from './backup/domain-keys';
import { BackupKeyHandler } from './backup-key/backup-key.handler';
import { CreateSecurityDomainHandler } from './create-security-domain/create-security-domain.handler';
import { ListSecurityDomainsHandler } from './list-security-domains/list-security-domains.handler';
import { KeyMover } from './move-keys/key-mover';
import { KeyTransferRepository } from './persistence/key-transfer.repository';
import { RestoreKeyHandler } from './restore-key/restore-key.handler';
import { SecurityDomainRepository } from './security-domain/security-domain.repository';
import { SecurityOfficerUse } from './security-domain/security-officer-use';
import { TransferKeyHandler } from './transfer-key/transfer-key.handler';
import { VaultKeyTransfer } from './transfer-key/vault-key-transfer';

@Module({
  imports: [KeysModule],
  providers: [
    KeyMover,
    KeyTransferRepository,
    SecurityDomainRepository,
    SecurityOfficerUse,
    DomainKeys,
    VaultKeyTransfer,
    TransferKeyHandler,
    CreateSecurityDomainHandler,
    ActivateSecurityDomainHandler,
    AddVaultToSecurityDomainHandler,
    ListSecurityDomainsHandler,
    BackupKeyHandler,
    RestoreKeyHandler,
  ],
  exports: [VaultKeyTransfer],
})
export class TransferModule {}
