import { Command } from '@nestjs/cqrs';
import { Caller } from '@keybridge/auth';
import { KeyTarget } from '@keybridge/keys';

export interface RewrappedItem {
  /** base64url of the value wrapped under the target, or null when this item failed. */
  value: string | null;
  /** INVALID_ARGUMENT, DECRYPTION_FAILED, OPERATION_NOT_ALLOWED, UNSUPPORTED_BY_HSM or HSM_ERROR; null on success. */
  error: string | null;
}

export interface RewrapWrappedKeysResult {
  sourceKid: string;
  kid: string;
  algorithm: string;
  items: RewrappedItem[];
}

export const MAX_REWRAP_ITEMS = 1000;

/**
 * Synchronous re-wrap of up to 1,000 caller-held wrapped keys (like Vault transit's batch rewrap): each value is
 * unwrapped to a session object in the HSM and wrapped under the target, never entering the process. Items fail
 * one by one. Permissions: unwrapKey on the source, wrapKey on the target.
 */
export class RewrapWrappedKeysCommand extends Command<RewrapWrappedKeysResult> {
  constructor(
    readonly caller: Caller,
    readonly from: KeyTarget,
    readonly fromAlgorithm: string,
    readonly to: KeyTarget,
    readonly toAlgorithm: string | null,
    /** base64url wrapped values */
    readonly items: string[],
  ) {
    super();
  }
}
