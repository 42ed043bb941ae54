import { Command } from '@nestjs/cqrs';
import { Caller } from '@keybridge/auth';
import { KeyView } from '@keybridge/keys';

export interface ImportKeyInput {
  vault: string;
  name: string;
  /** What the blob holds: RSA (size), EC (curve) or oct (size). Checked against the key after the unwrap. */
  kty: string;
  size?: number | null;
  curve?: string | null;
  keyOps?: string[] | null;
  tags?: Array<{ name: string; value: string }> | null;
  exportable?: boolean | null;
  enabled?: boolean | null;
  nbf?: Date | null;
  exp?: Date | null;
  /** byok (Azure .byok JSON text) or raw (CKM_RSA_AES_KEY_WRAP bytes, base64 or base64url). */
  format: string;
  blob: string;
  /** raw: required; byok: taken from the header (must match if given). */
  transportKid?: string | null;
  /** raw: required (SHA-1 or SHA-256); byok: SHA-1. */
  oaepHash?: string | null;
  /** The key's public half (SPKI PEM, base64url SPKI DER or JWK): required for EC, checked for RSA. */
  publicKey?: string | null;
}

/** Creates a key, or a new version of a live key of the same type, from a BYOK blob. Permission: import. */
export class ImportKeyCommand extends Command<KeyView> {
  constructor(
    readonly caller: Caller,
    readonly input: ImportKeyInput,
  ) {
    super();
  }
}
