import { Query } from '@nestjs/cqrs';
import { Caller } from '@keybridge/auth';
import { Vault } from '../model/key';

/** Admins see every vault; anyone else only the vaults they hold a grant on. */
export class ListVaultsQuery extends Query<Vault[]> {
  constructor(readonly caller: Caller) {
    super();
  }
}
