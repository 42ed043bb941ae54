import { Command } from '@nestjs/cqrs';
import { Caller } from '@keybridge/auth';
import { KeyView } from '@keybridge/keys';

export type TransferMode = 'copy' | 'move';

export interface TransferKeyInput {
  vault: string;
  name: string;
  /** Versions to move; all when absent. */
  versions?: number[] | null;
  targetVault: string;
  /** Name in the target vault; the source's when absent. */
  targetName?: string | null;
  /** copy keeps the source; move disables the transferred source versions once the target is verified. */
  mode?: string | null;
}

export interface TransferredVersion {
  version: number;
  /** AES: the key check value (3 bytes, hex) both HSMs computed; null for RSA/EC (public keys compared instead). */
  checkValue: string | null;
}

export interface TransferKeyResult {
  source: string;
  target: KeyView;
  mode: TransferMode;
  versions: TransferredVersion[];
  oaepHash: string;
  securityOfficerUsed: boolean;
}

/** Moves a key's versions HSM to HSM into another vault. Permissions: transfer on the source, import on the target. */
export class TransferKeyCommand extends Command<TransferKeyResult> {
  constructor(
    readonly caller: Caller,
    readonly input: TransferKeyInput,
  ) {
    super();
  }
}
