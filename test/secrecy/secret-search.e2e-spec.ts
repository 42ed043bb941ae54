import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { needlesOf, search } from './secret-search';

// The scan of secrecy.e2e-spec is only as good as its needles: a secret embedded at any offset in a larger value,
// in any of the encodings, must be found; unrelated bytes must not be.
describe('secret search', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kb-secret-search-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const secret = randomBytes(32);
  const needles = needlesOf({ label: 's', bytes: secret });

  it.each([0, 1, 2, 3, 4, 5])('finds the secret %i bytes into a longer value, in every encoding', (shift) => {
    const embedded = Buffer.concat([randomBytes(shift), secret, randomBytes(7)]);
    const file = join(dir, `shift-${shift}`);
    const encodings = [
      embedded,
      embedded.toString('hex'),
      embedded.toString('hex').toUpperCase(),
      embedded.toString('base64'),
      embedded.toString('base64url'),
      JSON.stringify({ v: embedded.toString('base64') }),
    ];
    for (const content of encodings) {
      writeFileSync(file, Buffer.concat([randomBytes(100), Buffer.from(content), randomBytes(100)]));
      expect(search([file], needles).length).toBeGreaterThan(0);
    }
  });

  it.each(['base64', 'base64url', 'hex'] as const)('finds the bare secret as %s', (encoding) => {
    const file = join(dir, `bare-${encoding}`);
    writeFileSync(file, `x=${secret.toString(encoding)};`);
    expect(search([file], needles).length).toBeGreaterThan(0);
  });

  it('finds nothing in unrelated bytes and reports the offset of a hit', () => {
    const file = join(dir, 'clean');
    const noise = randomBytes(1 << 20);
    writeFileSync(file, Buffer.concat([noise, Buffer.from(noise.toString('base64')), Buffer.from(noise.toString('hex'))]));
    expect(search([file], needles)).toEqual([]);
    writeFileSync(file, Buffer.concat([Buffer.from('0123456789'), Buffer.from(secret.toString('hex'))]));
    expect(search([file], needles)).toEqual([{ label: 's', form: 'hex', file, offset: 10 }]);
  });
});
