import { Command } from '@nestjs/cqrs';
import { Caller } from '@keybridge/auth';
import { KeyView } from '../model/key-view';

/** Absent fields stay as they are; `nbf: null` / `exp: null` clear them. */
export interface UpdateKeyInput {
  vault: string;
  name: string;
  version?: string | null;
  enabled?: boolean | null;
  nbf?: Date | null;
  exp?: Date | null;
  keyOps?: string[] | null;
  tags?: Array<{ name: string; value: string }> | null;
}

export class UpdateKeyCommand extends Command<KeyView> {
  constructor(
    readonly caller: Caller,
    readonly input: UpdateKeyInput,
  ) {
    super();
  }
}
