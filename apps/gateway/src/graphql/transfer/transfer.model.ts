import { Field, Int, ObjectType } from '@nestjs/graphql';
import { CreatedSecurityDomain, KeyBackupResult, SecurityDomainView, TransferKeyResult, VaultMigrationView } from '@keybridge/transfer';
import { KeyModel } from '../keys/key.model';

@ObjectType('TransferredVersion')
export class TransferredVersionModel {
  @Field(() => Int) version!: number;
  @Field(() => String, { nullable: true, description: 'AES: key check value (3 bytes hex) computed by both HSMs; RSA/EC: null (public keys compared)' })
  checkValue!: string | null;
}

@ObjectType('TransferKeyResult')
export class TransferKeyResultModel {
  @Field({ description: 'Source key identifier' }) source!: string;
  @Field(() => KeyModel, { description: 'The key in the target vault (its latest transferred version)' }) target!: KeyModel;
  @Field() mode!: string;
  @Field(() => [TransferredVersionModel]) versions!: TransferredVersionModel[];
  @Field({ description: 'RSA-OAEP hash negotiated between the two pools for the ephemeral key' }) oaepHash!: string;
  @Field({ description: 'The source pool\'s security officer made the trusted ephemeral key (recorded in the ledger)' }) securityOfficerUsed!: boolean;

  static from(result: TransferKeyResult): TransferKeyResultModel {
    return Object.assign(new TransferKeyResultModel(), result, { target: KeyModel.from(result.target) });
  }
}

@ObjectType('DomainPublicKey', { description: 'RSA public key (RFC 7517 members)' })
export class DomainPublicKeyModel {
  @Field() kty!: string;
  @Field() n!: string;
  @Field() e!: string;
}

@ObjectType('SecurityDomainPool')
export class SecurityDomainPoolModel {
  @Field() pool!: string;
  @Field() activatedAt!: Date;
}

@ObjectType('SecurityDomain')
export class SecurityDomainModel {
  @Field() id!: string;
  @Field() name!: string;
  @Field(() => Int) quorum!: number;
  @Field(() => Int) custodianCount!: number;
  @Field(() => DomainPublicKeyModel, { description: 'The domain key\'s RSA public key (backups are wrapped for it)' }) publicKey!: DomainPublicKeyModel;
  @Field(() => [SecurityDomainPoolModel], { description: 'Pools holding the domain key' }) pools!: SecurityDomainPoolModel[];
  @Field(() => [String], { description: 'Member vaults' }) vaults!: string[];
  @Field() createdAt!: Date;

  static from(view: SecurityDomainView): SecurityDomainModel {
    const jwk = view.publicJwk;
    return Object.assign(new SecurityDomainModel(), view, {
      publicKey: Object.assign(new DomainPublicKeyModel(), jwk.kty === 'RSA' ? { kty: jwk.kty, n: jwk.n, e: jwk.e } : { kty: jwk.kty, n: '', e: '' }),
      pools: view.pools.map((p) => Object.assign(new SecurityDomainPoolModel(), { pool: p.pool, activatedAt: p.activatedAt })),
    });
  }
}

@ObjectType('CreatedSecurityDomain')
export class CreatedSecurityDomainModel {
  @Field(() => SecurityDomainModel) domain!: SecurityDomainModel;
  @Field(() => [String], { description: 'One keybridge.custodian-share JSON document per custodian, in the order given. Shown once; Keybridge keeps only commitments.' })
  shares!: string[];

  static from(created: CreatedSecurityDomain): CreatedSecurityDomainModel {
    return Object.assign(new CreatedSecurityDomainModel(), { domain: SecurityDomainModel.from(created.domain), shares: created.shares });
  }
}

@ObjectType('KeyBackup')
export class KeyBackupModel {
  @Field() kid!: string;
  @Field({ description: 'keybridge.key-backup JSON: every version wrapped for the security domain, sealed; restorable in any member vault' }) blob!: string;
  @Field() securityDomain!: string;
  @Field(() => Int) versions!: number;

  static from(result: KeyBackupResult): KeyBackupModel {
    return Object.assign(new KeyBackupModel(), result);
  }
}

@ObjectType('VaultMigrationItem', { description: 'One key of a vault migration' })
export class VaultMigrationItemModel {
  @Field() keyName!: string;
  @Field({ description: 'pending, done, failed or skipped' }) state!: string;
  @Field(() => Int, { nullable: true, description: 'Versions transferred' }) versions!: number | null;
  @Field(() => String, { nullable: true, description: 'Typed error code of a failed or skipped key' }) errorCode!: string | null;
  @Field(() => String, { nullable: true }) errorMessage!: string | null;
  @Field(() => Int) attempts!: number;
  @Field(() => Date, { nullable: true }) finishedAt!: Date | null;
}

@ObjectType('VaultMigration', { description: 'A queued whole-vault migration (worker, resumable)' })
export class VaultMigrationModel {
  @Field() id!: string;
  @Field() sourceVault!: string;
  @Field() targetVault!: string;
  @Field() mode!: string;
  @Field({ description: 'running or completed' }) state!: string;
  @Field(() => Int) total!: number;
  @Field(() => Int) pending!: number;
  @Field(() => Int) done!: number;
  @Field(() => Int) failed!: number;
  @Field(() => Int) skipped!: number;
  @Field() createdAt!: Date;
  @Field(() => Date, { nullable: true }) finishedAt!: Date | null;
  @Field(() => [VaultMigrationItemModel], { nullable: true, description: 'Per-key outcome (vaultMigration only)' }) items?: VaultMigrationItemModel[];

  static from(view: VaultMigrationView): VaultMigrationModel {
    return Object.assign(new VaultMigrationModel(), view, { items: view.items?.map((item) => Object.assign(new VaultMigrationItemModel(), item)) });
  }
}
