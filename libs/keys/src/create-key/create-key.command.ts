import { Command } from '@nestjs/cqrs';
import { Caller } from '@keybridge/auth';
import { KeyView } from '../model/key-view';

export interface CreateKeyInput {
  vault: string;
  name: string;
  kty: string;
  size?: number | null;
  curve?: string | null;
  keyOps?: string[] | null;
  tags?: Array<{ name: string; value: string }> | null;
  exportable?: boolean | null;
  enabled?: boolean | null;
  nbf?: Date | null;
  exp?: Date | null;
}

export class CreateKeyCommand extends Command<KeyView> {
  constructor(
    readonly caller: Caller,
    readonly input: CreateKeyInput,
  ) {
    super();
  }
}
