import { decodeBase64Url } from '@keybridge/platform';
import { invalidArgument } from '../keys.errors';

/** Largest decoded input of any cryptographic operation (documented in README). */
export const MAX_INPUT_BYTES = 64 * 1024;

/** Decodes a base64url argument; empty, malformed or oversized input is INVALID_ARGUMENT naming the field only. */
export function binaryInput(value: string, field: string, { allowEmpty = false } = {}): Buffer {
  if (value.length > Math.ceil((MAX_INPUT_BYTES * 4) / 3) + 4) throw invalidArgument(`${field} is larger than ${MAX_INPUT_BYTES} bytes`, field);
  const bytes = decodeBase64Url(value);
  if (!bytes) throw invalidArgument(`${field} is not base64url`, field);
  if (bytes.length === 0 && !allowEmpty) throw invalidArgument(`${field} is empty`, field);
  return bytes;
}

export function optionalBinaryInput(value: string | null | undefined, field: string): Buffer | null {
  return value === null || value === undefined ? null : binaryInput(value, field, { allowEmpty: field === 'aad' });
}
