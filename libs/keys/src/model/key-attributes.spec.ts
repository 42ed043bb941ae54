import { parseKeyOps, parseSpec, parseTags, validateKeyName, validateValidity } from './key-attributes';
import { binaryInput } from './binary-input';
import { parseVersion } from './version-spec';

const invalid = expect.objectContaining({ code: 'INVALID_ARGUMENT' });

describe('key attribute parsing', () => {
  it.each([
    ['RSA', undefined, undefined, { kty: 'RSA', bits: 2048 }],
    ['RSA', 4096, undefined, { kty: 'RSA', bits: 4096 }],
    ['EC', undefined, 'P-521', { kty: 'EC', curve: 'P-521' }],
    ['oct', 192, undefined, { kty: 'oct', bits: 192 }],
  ])('parses %s %s %s', (kty, size, curve, spec) => {
    expect(parseSpec(kty, size, curve)).toEqual(spec);
  });

  it.each([
    ['RSA', 1024, undefined],
    ['RSA', 2048, 'P-256'],
    ['EC', 256, undefined],
    ['EC', undefined, 'P-192'],
    ['oct', 512, undefined],
    ['DSA', undefined, undefined],
  ])('refuses %s %s %s', (kty, size, curve) => {
    expect(() => parseSpec(kty, size, curve)).toThrow(invalid);
  });

  it('defaults key_ops to everything the type allows and refuses the rest', () => {
    expect(parseKeyOps('EC', undefined)).toEqual(['sign', 'verify']);
    expect(parseKeyOps('oct', ['wrapKey', 'wrapKey'])).toEqual(['wrapKey']);
    expect(() => parseKeyOps('EC', ['decrypt'])).toThrow(invalid);
  });

  it('accepts 15 tags of 256 characters and refuses a 16th or a 257th character', () => {
    const fifteen = Array.from({ length: 15 }, (_, i) => ({ name: `${i}`.padEnd(256, 'n'), value: 'v'.repeat(256) }));
    expect(Object.keys(parseTags(fifteen) ?? {})).toHaveLength(15);
    expect(() => parseTags([...fifteen, { name: 'x', value: 'y' }])).toThrow(invalid);
    expect(() => parseTags([{ name: 'n'.repeat(257), value: '' }])).toThrow(invalid);
    expect(() => parseTags([{ name: 'n', value: 'v'.repeat(257) }])).toThrow(invalid);
    expect(() => parseTags([{ name: '', value: 'v' }])).toThrow(invalid);
    expect(() => parseTags([{ name: 'a', value: '1' }, { name: 'a', value: '2' }])).toThrow(invalid);
  });

  it('checks names and validity windows', () => {
    expect(() => validateKeyName('ok-name-1')).not.toThrow();
    expect(() => validateKeyName('-bad')).toThrow(invalid);
    expect(() => validateKeyName('a'.repeat(128))).toThrow(invalid);
    expect(() => validateValidity(new Date(2), new Date(1))).toThrow(invalid);
    expect(() => validateValidity(new Date(1), new Date(2))).not.toThrow();
  });

  it.each([
    [undefined, 'latest'],
    ['latest', 'latest'],
    ['v3', 3],
    ['12', 12],
  ])('parses version %s', (input, expected) => {
    expect(parseVersion(input)).toBe(expected);
  });

  it.each(['v0', '0', '-1', '1.5', 'v', 'x1'])('refuses version %s', (input) => {
    expect(() => parseVersion(input)).toThrow(invalid);
  });

  it('decodes base64url strictly', () => {
    expect(binaryInput('AAEC', 'value')).toEqual(Buffer.from([0, 1, 2]));
    expect(() => binaryInput('AA+C', 'value')).toThrow(invalid);
    expect(() => binaryInput('A', 'value')).toThrow(invalid);
    expect(() => binaryInput('', 'value')).toThrow(invalid);
    expect(() => binaryInput('A'.repeat(100_000), 'value')).toThrow(invalid);
  });
});
