import { AesBits, EcCurve, KeySpec, RsaBits } from '@keybridge/hsm';
import { invalidArgument } from '../keys.errors';
import { KEY_OPS_BY_KTY, KeyOp } from './key-op';

export const MAX_TAGS = 15;
export const MAX_TAG_LENGTH = 256;
const KEY_NAME = /^[A-Za-z0-9][A-Za-z0-9-]{0,126}$/;

export function validateKeyName(name: string): void {
  if (!KEY_NAME.test(name)) throw invalidArgument('key names are 1-127 of A-Z a-z 0-9 and -, starting with a letter or digit', 'name');
}

export function parseSpec(kty: string, size: number | null | undefined, curve: string | null | undefined): KeySpec {
  switch (kty) {
    case 'RSA':
      if (curve) throw invalidArgument('RSA keys take a size, not a curve', 'curve');
      if (![2048, 3072, 4096].includes(size ?? 2048)) throw invalidArgument('RSA size must be 2048, 3072 or 4096', 'size');
      return { kty: 'RSA', bits: (size ?? 2048) as RsaBits };
    case 'EC':
      if (size) throw invalidArgument('EC keys take a curve, not a size', 'size');
      if (!['P-256', 'P-384', 'P-521', 'secp256k1'].includes(curve ?? 'P-256')) throw invalidArgument('curve must be P-256, P-384, P-521 or secp256k1', 'curve');
      return { kty: 'EC', curve: (curve ?? 'P-256') as EcCurve };
    case 'oct':
      if (curve) throw invalidArgument('AES keys take a size, not a curve', 'curve');
      if (![128, 192, 256].includes(size ?? 256)) throw invalidArgument('AES size must be 128, 192 or 256', 'size');
      return { kty: 'oct', bits: (size ?? 256) as AesBits };
    default:
      throw invalidArgument('kty must be RSA, EC or oct', 'kty');
  }
}

export function parseKeyOps(kty: KeySpec['kty'], ops: string[] | null | undefined): KeyOp[] {
  const allowed = KEY_OPS_BY_KTY[kty];
  if (!ops) return allowed;
  const bad = ops.find((op) => !allowed.includes(op as KeyOp));
  if (bad !== undefined) throw invalidArgument(`key_ops for ${kty} keys are ${allowed.join(', ')}`, 'keyOps');
  return [...new Set(ops as KeyOp[])];
}

export function parseTags(tags: Array<{ name: string; value: string }> | null | undefined): Record<string, string> | undefined {
  if (!tags) return undefined;
  if (tags.length > MAX_TAGS) throw invalidArgument(`at most ${MAX_TAGS} tags`, 'tags');
  const out: Record<string, string> = {};
  for (const { name, value } of tags) {
    if (name.length === 0 || name.length > MAX_TAG_LENGTH) throw invalidArgument(`tag names are 1-${MAX_TAG_LENGTH} characters`, 'tags');
    if (value.length > MAX_TAG_LENGTH) throw invalidArgument(`tag values are at most ${MAX_TAG_LENGTH} characters`, 'tags');
    if (name in out) throw invalidArgument('tag names must be unique', 'tags');
    out[name] = value;
  }
  return out;
}

export function validateValidity(nbf: Date | null | undefined, exp: Date | null | undefined): void {
  if (nbf && exp && nbf >= exp) throw invalidArgument('nbf must be before exp', 'exp');
}
