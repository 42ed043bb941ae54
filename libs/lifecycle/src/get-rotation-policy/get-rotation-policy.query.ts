import { Query } from '@nestjs/cqrs';
import { Caller } from '@keybridge/auth';
import { RotationPolicy } from '../policy/rotation-policy';

/** A key's rotation policy, or null. Permission: get. */
export class GetRotationPolicyQuery extends Query<RotationPolicy | null> {
  constructor(
    readonly caller: Caller,
    readonly vault: string,
    readonly name: string,
  ) {
    super();
  }
}
