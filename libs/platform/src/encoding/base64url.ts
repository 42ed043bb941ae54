const BASE64URL = /^[A-Za-z0-9_-]*={0,2}$/;

/** Strict base64url decoding: returns undefined for anything that is not base64url (Buffer.from is lenient). */
export function decodeBase64Url(value: string): Buffer | undefined {
  if (!BASE64URL.test(value) || value.replace(/=+$/, '').length % 4 === 1) return undefined;
  return Buffer.from(value, 'base64url');
}

export function encodeBase64Url(value: Buffer): string {
  return value.toString('base64url');
}
