import { invalidArgument } from '@keybridge/keys';
import { EscrowAlgorithm } from './wrapping';

export type EscrowOrigin = 'generated' | 'deposited';
export type Labels = Record<string, string>;

export interface EscrowRecord {
  id: string;
  seq: number;
  vaultId: string;
  vault: string;
  keyId: string;
  /** null once the key is purged (the record can then never be released). */
  keyName: string | null;
  keyVersion: number;
  algorithm: EscrowAlgorithm;
  dekBits: number | null;
  owner: string;
  labels: Labels;
  origin: EscrowOrigin;
  rewrapCount: number;
  /** After this the record cannot be released; the purge job then removes its wrapped bytes. */
  expiresAt: Date | null;
  /** When the purge job removed the wrapped bytes (its ledger history stays). */
  purgedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

/** Refuses a lifetime that has already ended (a caller-chosen expiresAt must be in the future). */
export function checkExpiresAt(expiresAt: Date | null, now: Date): Date | null {
  if (expiresAt && expiresAt.getTime() <= now.getTime()) throw invalidArgument('expiresAt must be in the future', 'expiresAt');
  return expiresAt;
}

/** A record with its wrapped bytes (never leaves the library except as the input of an HSM call). */
export interface WrappedEscrowRecord extends EscrowRecord {
  /** null once purged. */
  wrapped: Buffer | null;
}

export const DEK_BITS = [128, 192, 256] as const;
const MAX_LABELS = 15;
const MAX_TEXT = 256;

export function checkOwner(owner: string, field = 'owner'): string {
  if (owner.length < 1 || owner.length > MAX_TEXT) throw invalidArgument(`${field} must be 1 to ${MAX_TEXT} characters`, field);
  return owner;
}

/** Labels as name/value pairs: at most 15, names 1-256 characters and unique, values up to 256. */
export function checkLabels(input: ReadonlyArray<{ name: string; value: string }> | null | undefined, field = 'labels'): Labels {
  const labels: Labels = {};
  if (!input) return labels;
  if (input.length > MAX_LABELS) throw invalidArgument(`at most ${MAX_LABELS} labels`, field);
  for (const { name, value } of input) {
    if (name.length < 1 || name.length > MAX_TEXT || value.length > MAX_TEXT) {
      throw invalidArgument(`label names are 1-${MAX_TEXT} characters, values up to ${MAX_TEXT}`, field);
    }
    if (name in labels) throw invalidArgument(`label ${JSON.stringify(name)} is given twice`, field);
    labels[name] = value;
  }
  return labels;
}

export function checkDekBits(bits: number): (typeof DEK_BITS)[number] {
  const found = DEK_BITS.find((b) => b === bits);
  if (!found) throw invalidArgument('bits must be 128, 192 or 256', 'bits');
  return found;
}
