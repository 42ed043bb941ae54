import { randomBytes } from 'node:crypto';
import { backupDigest, BackupParseError, KEY_BACKUP_FORMAT, KEY_BACKUP_VERSION, KeyBackup, parseBackup, serializeBackup } from './key-backup.format';

const b64u = (n: number): string => randomBytes(n).toString('base64url');
const B64U = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

function backup(): KeyBackup {
  return {
    format: KEY_BACKUP_FORMAT,
    version: KEY_BACKUP_VERSION,
    header: {
      domainId: '5d0c9a8b-7e6f-4a3b-8c2d-1e0f9a8b7c6d',
      domainName: 'eu',
      vault: 'payments',
      createdAt: '2026-11-30T05:00:00.000Z',
      oaepHash: 'SHA-1',
      key: { name: 'kek', kty: 'oct', size: 256, curve: null, keyOps: ['wrapKey'], tags: { team: 'x' }, exportable: true, minDecryptVersion: 1 },
      versions: [
        { version: 1, enabled: false, nbf: null, exp: null, origin: 'generated', publicJwk: null },
        { version: 2, enabled: true, nbf: '2026-01-01T00:00:00.000Z', exp: null, origin: 'transfer', publicJwk: null },
      ],
    },
    wrappedEphemeral: b64u(384),
    wrappedKeys: [b64u(40), b64u(40)],
    seal: b64u(40),
  };
}

const failure = (text: string): string | undefined => {
  try {
    parseBackup(text);
    return undefined;
  } catch (error) {
    return error instanceof BackupParseError ? error.failure : 'other';
  }
};

describe('keybridge.key-backup v1', () => {
  it('round-trips, and starts with its format name and version', () => {
    const b = backup();
    const text = serializeBackup(b);
    expect(text.startsWith(`{"format":"${KEY_BACKUP_FORMAT}","version":1,`)).toBe(true);
    expect(parseBackup(text)).toEqual(b);
  });

  it('digests everything but the seal: header, parts and their order', () => {
    const b = backup();
    const digest = backupDigest(b);
    expect(backupDigest({ ...b, seal: b64u(40) } as KeyBackup)).toEqual(digest);
    expect(backupDigest({ ...b, wrappedKeys: [b.wrappedKeys[1], b.wrappedKeys[0]] })).not.toEqual(digest);
    expect(backupDigest({ ...b, header: { ...b.header, key: { ...b.header.key, tags: { team: 'y' } } } })).not.toEqual(digest);
    expect(backupDigest({ ...b, header: { ...b.header, versions: [b.header.versions[0], { ...b.header.versions[1], enabled: false }] } })).not.toEqual(digest);
  });

  it.each<[string, string, (text: string) => string]>([
    ['not JSON', 'notBackup', () => 'backup'],
    ['truncated', 'notBackup', (t) => t.slice(0, t.length - 10)],
    ['another format', 'notBackup', (t) => t.replace(KEY_BACKUP_FORMAT, 'other.format')],
    ['version 2', 'version', (t) => t.replace('"version":1,', '"version":2,')],
    ['an extra member', 'shape', (t) => t.replace('"seal":', '"extra":1,"seal":')],
    ['one wrapped key too few', 'shape', (t) => t.replace(/"wrappedKeys":\["[^"]+",/, '"wrappedKeys":[')],
    ['padding in base64url', 'shape', (t) => t.replace(/"seal":"([^"]+)"/, '"seal":"$1="')],
    ['a non-canonical last base64url character', 'shape', (t) => t.replace(/"seal":"([^"]+)(.)"/, (_m, head: string, last: string) => `"seal":"${head}${B64U[B64U.indexOf(last) ^ 1]}"`)],
    ['a non-exportable key', 'shape', (t) => t.replace('"exportable":true', '"exportable":false')],
    ['a bad domain id', 'shape', (t) => t.replace('5d0c9a8b-', 'zz0c9a8b-')],
    ['an unknown OAEP hash', 'shape', (t) => t.replace('"SHA-1"', '"MD5"')],
  ])('refuses %s (%s)', (_case, expected, change) => {
    const text = serializeBackup(backup());
    const changed = change(text);
    expect(changed).not.toEqual(text);
    expect(failure(changed)).toBe(expected);
  });

  it('refuses a blob over the size limit before parsing it', () => {
    expect(failure(' '.repeat(768 * 1024 + 1))).toBe('notBackup');
  });
});
