import { Command } from '@nestjs/cqrs';
import { Caller } from '@keybridge/auth';
import { TransportKeyView } from '../model/transport-key-view';

export interface CreateTransportKeyInput {
  vault: string;
  /** RSA modulus bits: 2048, 3072 (default) or 4096. */
  size?: number | null;
  /** Lifetime in seconds, 60 to 604800 (7 days); default 86400. */
  expiresIn?: number | null;
  /** Imports it may serve, 1 (default) to 100. */
  maxUses?: number | null;
}

export class CreateTransportKeyCommand extends Command<TransportKeyView> {
  constructor(
    readonly caller: Caller,
    readonly input: CreateTransportKeyInput,
  ) {
    super();
  }
}
