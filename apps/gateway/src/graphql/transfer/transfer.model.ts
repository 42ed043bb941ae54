import { Field, Int, ObjectType } from '@nestjs/graphql';
import { TransferKeyResult } from '@keybridge/transfer';
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
