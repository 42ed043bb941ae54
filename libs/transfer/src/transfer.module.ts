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
import { MigrationConfig } from './migration/migration.config';
import { MigrationJobRepository } from './migration/migration-job.repository';
import { MigrationQueue } from './migration/migration-queue';
import { MigrationReconciler } from './migration/migration-reconciler';
import { MigrationRunner } from './migration/migration-runner';
import { StartVaultMigrationHandler } from './start-vault-migration/start-vault-migration.handler';
import { GetVaultMigrationHandler, ListVaultMigrationsHandler } from './get-vault-migration/get-vault-migration.handler';
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
    { provide: MigrationConfig, useFactory: () => MigrationConfig.fromEnv() },
    MigrationQueue,
    MigrationJobRepository,
    MigrationRunner,
    MigrationReconciler,
    StartVaultMigrationHandler,
    GetVaultMigrationHandler,
    ListVaultMigrationsHandler,
  ],
  exports: [VaultKeyTransfer, MigrationConfig, MigrationQueue, MigrationRunner, MigrationReconciler],
})
export class TransferModule {}
