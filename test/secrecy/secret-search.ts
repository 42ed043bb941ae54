import { readFileSync, statSync } from 'node:fs';

/** A value that must never be written anywhere the service stores, logs or exports. */
export interface Secret {
  /** What it is ("rsa2048.d", "dek#2"); printed in reports instead of the value. */
  label: string;
  bytes: Buffer;
  /** Text secrets (API tokens) are searched as they are; byte secrets in every encoding below. */
  text?: boolean;
}

export interface Needle {
  label: string;
  form: string;
  bytes: Buffer;
}

export interface Hit {
  label: string;
  form: string;
  file: string;
  offset: number;
}

/** Shorter needles would match by chance in megabytes of dumps; every secret of the scenario is 16 bytes or more. */
const MIN_NEEDLE = 16;

/**
 * The base64 characters that depend only on `secret` when it sits `shift` bytes (mod 3) into a longer base64 value:
 * a secret inside a PKCS#8 blob, a JSON document or a listpack is not aligned to a 3-byte group, so its own base64
 * (padded or not) would not occur there, but these characters would.
 */
function interiorBase64(secret: Buffer, shift: number, url: boolean): string {
  const encoded = Buffer.concat([Buffer.alloc(shift), secret, Buffer.alloc(3)]).toString(url ? 'base64url' : 'base64');
  const first = Math.ceil((shift * 8) / 6);
  const last = Math.floor(((shift + secret.length) * 8) / 6); // exclusive: the character holding the secret's last bits and what follows
  return encoded.slice(first, last);
}

/** Every form a secret is searched in: raw, hex (lower, upper), base64 padded and unpadded, base64url, at every alignment. */
export function needlesOf(secret: Secret): Needle[] {
  if (secret.text) return [{ label: secret.label, form: 'text', bytes: secret.bytes }];
  const b64 = secret.bytes.toString('base64');
  const b64url = secret.bytes.toString('base64url');
  const forms: Array<[string, string | Buffer]> = [
    ['raw', secret.bytes],
    ['hex', secret.bytes.toString('hex')],
    ['HEX', secret.bytes.toString('hex').toUpperCase()],
    ['base64', b64],
    ['base64-unpadded', b64.replace(/=+$/, '')],
    ['base64url', b64url],
    ['base64url-padded', b64url + '='.repeat(b64.length - b64.replace(/=+$/, '').length)],
  ];
  for (const shift of [0, 1, 2]) {
    forms.push([`base64@${shift}`, interiorBase64(secret.bytes, shift, false)]);
    forms.push([`base64url@${shift}`, interiorBase64(secret.bytes, shift, true)]);
  }
  const seen = new Set<string>();
  const out: Needle[] = [];
  for (const [form, value] of forms) {
    const bytes = typeof value === 'string' ? Buffer.from(value, 'latin1') : value;
    const key = bytes.toString('hex');
    if (bytes.length < MIN_NEEDLE || seen.has(key)) continue;
    seen.add(key);
    out.push({ label: secret.label, form, bytes });
  }
  return out;
}

/** Every occurrence of every needle in every file (offsets in bytes). Files that do not exist are an error. */
export function search(files: string[], needles: Needle[]): Hit[] {
  const hits: Hit[] = [];
  for (const file of files) {
    const content = readFileSync(file);
    for (const needle of needles) {
      for (let at = content.indexOf(needle.bytes); at !== -1; at = content.indexOf(needle.bytes, at + 1)) {
        hits.push({ label: needle.label, form: needle.form, file, offset: at });
      }
    }
  }
  return hits;
}

/** One line per hit: where, and which secret in which form, never the value. */
export function describeHits(hits: Hit[]): string {
  return hits.map((h) => `${h.file} @ byte ${h.offset}: ${h.label} as ${h.form}`).join('\n');
}

export function sizes(files: string[]): string {
  return files.map((f) => `${f} (${statSync(f).size} bytes)`).join('\n');
}
