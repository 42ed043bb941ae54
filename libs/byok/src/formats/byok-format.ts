import { constants, createCipheriv, KeyObject, publicEncrypt, randomBytes } from 'node:crypto';

/**
 * The BYOK blob formats, as the customer side makes them (CLI, tests) and the service reads them.
 *
 * Raw: `RSA-OAEP(ephemeral AES-256 key) || AES-KWP(target)`, the CKM_RSA_AES_KEY_WRAP layout. The OAEP part is
 * exactly the transport key's modulus length; MGF1 uses the OAEP hash; no label. AES-KWP is RFC 5649 (alternative
 * IV A65959A6). Target: AES raw bytes; RSA and EC PKCS#8 DER.
 *
 * Azure `.byok`: `{"schema_version":"1.0.0","header":{"kid":<transport kid>,"alg":"dir","enc":"CKM_RSA_AES_KEY_WRAP"},
 * "ciphertext":<base64url raw blob>,"generator":<tool; source>}` with SHA-1 as the OAEP hash.
 */
export const BYOK_SCHEMA_VERSION = '1.0.0';
export const BYOK_ALG = 'dir';
export const BYOK_ENC = 'CKM_RSA_AES_KEY_WRAP';
/** Largest blob argument the service reads (the whole .byok JSON text, or the base64 of a raw blob). */
export const MAX_BLOB_CHARS = 64 * 1024;
export const KWP_IV = Buffer.from('a65959a6', 'hex');

export type BlobHash = 'SHA-1' | 'SHA-256';

export interface ByokFile {
  schema_version: string;
  header: { kid: string; alg: string; enc: string };
  ciphertext: string;
  generator: string;
}

/** Makes a raw blob under the transport key's public key; the ephemeral key is zeroed afterwards. */
export function wrapForImport(transportKey: KeyObject, keyMaterial: Buffer, hash: BlobHash): Buffer {
  const ephemeral = randomBytes(32);
  try {
    const rsaPart = publicEncrypt(
      { key: transportKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: hash === 'SHA-1' ? 'sha1' : 'sha256' },
      ephemeral,
    );
    const cipher = createCipheriv('id-aes256-wrap-pad', ephemeral, KWP_IV);
    return Buffer.concat([rsaPart, cipher.update(keyMaterial), cipher.final()]);
  } finally {
    ephemeral.fill(0);
  }
}

/** The Azure .byok JSON text around a raw blob. */
export function byokFile(transportKid: string, blob: Buffer, generator: string): string {
  const file: ByokFile = {
    schema_version: BYOK_SCHEMA_VERSION,
    header: { kid: transportKid, alg: BYOK_ALG, enc: BYOK_ENC },
    ciphertext: blob.toString('base64url'),
    generator,
  };
  return `${JSON.stringify(file, null, 2)}\n`;
}
