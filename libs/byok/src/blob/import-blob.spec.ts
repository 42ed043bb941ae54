import { randomBytes } from 'node:crypto';
import { byokFile, MAX_BLOB_CHARS } from '../formats/byok-format';
import { ImportBlobInput, MIN_BLOB_BYTES, parseImportBlob } from './import-blob';

const KID = '/vaults/v1/transport-keys/6f1c2b4e-8a1d-4c1e-9f3a-1b2c3d4e5f60';
const blob = randomBytes(256 + 40);
const byokText = (change: (file: Record<string, unknown>) => void = () => undefined): string => {
  const file = JSON.parse(byokFile(KID, blob, 'spec')) as Record<string, unknown>;
  change(file);
  return JSON.stringify(file);
};
const header = (file: Record<string, unknown>): Record<string, unknown> => file.header as Record<string, unknown>;

describe('parseImportBlob', () => {
  it('reads an Azure .byok file: kid from the header, SHA-1, the base64url ciphertext', () => {
    expect(parseImportBlob({ format: 'byok', blob: byokText() })).toEqual({ format: 'byok', transportKid: KID, oaepHash: 'SHA-1', bytes: blob });
  });

  it('reads raw blobs in base64 and in base64url, with the kid and hash given', () => {
    for (const encoded of [blob.toString('base64'), blob.toString('base64url')]) {
      expect(parseImportBlob({ format: 'raw', blob: encoded, transportKid: KID, oaepHash: 'sha256' })).toEqual({ format: 'raw', transportKid: KID, oaepHash: 'SHA-256', bytes: blob });
    }
  });

  it.each<[string, ImportBlobInput, string]>([
    ['over the size limit (before any parsing)', { format: 'byok', blob: `{${' '.repeat(MAX_BLOB_CHARS)}` }, 'BLOB_TOO_LARGE'],
    ['an unknown format', { format: 'pkcs12', blob: 'AAAA' }, 'INVALID_ARGUMENT'],
    ['an unknown hash', { format: 'raw', blob: blob.toString('base64'), transportKid: KID, oaepHash: 'MD5' }, 'INVALID_ARGUMENT'],
    ['raw without transportKid', { format: 'raw', blob: blob.toString('base64'), oaepHash: 'SHA-1' }, 'INVALID_ARGUMENT'],
    ['raw without oaepHash', { format: 'raw', blob: blob.toString('base64'), transportKid: KID }, 'INVALID_ARGUMENT'],
    ['raw that is not base64', { format: 'raw', blob: 'not*base64', transportKid: KID, oaepHash: 'SHA-1' }, 'INVALID_BLOB'],
    ['raw mixing both alphabets', { format: 'raw', blob: 'ab+_cd', transportKid: KID, oaepHash: 'SHA-1' }, 'INVALID_BLOB'],
    ['raw one byte long', { format: 'raw', blob: 'QQ', transportKid: KID, oaepHash: 'SHA-1' }, 'INVALID_BLOB'],
    ['raw shorter than the smallest blob', { format: 'raw', blob: randomBytes(MIN_BLOB_BYTES - 1).toString('base64'), transportKid: KID, oaepHash: 'SHA-1' }, 'INVALID_BLOB'],
    ['malformed JSON', { format: 'byok', blob: '{"schema_version":' }, 'INVALID_BLOB'],
    ['a JSON array', { format: 'byok', blob: '[]' }, 'INVALID_BLOB'],
    ['no schema_version', { format: 'byok', blob: byokText((f) => delete f.schema_version) }, 'INVALID_BLOB'],
    ['schema_version 1.0.1', { format: 'byok', blob: byokText((f) => (f.schema_version = '1.0.1')) }, 'UNSUPPORTED_BLOB_FORMAT'],
    ['no header', { format: 'byok', blob: byokText((f) => delete f.header) }, 'INVALID_BLOB'],
    ['alg RSA-OAEP', { format: 'byok', blob: byokText((f) => (header(f).alg = 'RSA-OAEP')) }, 'UNSUPPORTED_BLOB_FORMAT'],
    ['enc A256KW', { format: 'byok', blob: byokText((f) => (header(f).enc = 'A256KW')) }, 'UNSUPPORTED_BLOB_FORMAT'],
    ['a numeric kid', { format: 'byok', blob: byokText((f) => (header(f).kid = 7)) }, 'INVALID_BLOB'],
    ['no ciphertext', { format: 'byok', blob: byokText((f) => delete f.ciphertext) }, 'INVALID_BLOB'],
    ['a standard-base64 ciphertext', { format: 'byok', blob: byokText((f) => (f.ciphertext = `${String(f.ciphertext)}+/`)) }, 'INVALID_BLOB'],
    ['a non-string generator', { format: 'byok', blob: byokText((f) => (f.generator = 1)) }, 'INVALID_BLOB'],
    ['a transportKid other than the header\'s', { format: 'byok', blob: byokText(), transportKid: `${KID}0` }, 'INVALID_ARGUMENT'],
    ['SHA-256 named for a .byok file', { format: 'byok', blob: byokText(), oaepHash: 'SHA-256' }, 'INVALID_ARGUMENT'],
    ['a .byok ciphertext too short', { format: 'byok', blob: byokText((f) => (f.ciphertext = 'AAAA')) }, 'INVALID_BLOB'],
  ])('refuses %s', (_name, input, code) => {
    expect(() => parseImportBlob(input)).toThrow(expect.objectContaining({ code }));
  });
});
