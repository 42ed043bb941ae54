import { CertificateMode, matchesBinding, parseCertificateMode, parseSha256Fingerprint, parseSubject } from './certificate-binding';

const hex = 'ab'.repeat(32);

describe('certificate binding inputs', () => {
  it.each([
    [hex, hex],
    [hex.toUpperCase(), hex],
    ['AB:'.repeat(31) + 'AB', hex],
    [`  ${hex}\n`, hex],
  ])('accepts the fingerprint %j', (input, expected) => {
    expect(parseSha256Fingerprint(input)).toBe(expected);
  });

  it.each([
    ['empty', ''],
    ['too short', 'ab'.repeat(31)],
    ['too long', 'ab'.repeat(33)],
    ['not hex', 'zz'.repeat(32)],
    ['base64', 'q6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s='],
    ['SHA-1 with colons', 'AB:'.repeat(19) + 'AB'],
    ['colons in odd places', `${'ab'.repeat(31)}:ab`],
  ])('refuses a fingerprint that is %s with INVALID_ARGUMENT', (_name, input) => {
    expect(() => parseSha256Fingerprint(input)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', details: { field: 'sha256' } }));
  });

  it.each([['CN=keybridge-dev-client'], ['C=DE\nO=Acme\\, Inc.\nCN=billing'], ['CN=a + OU=b']])('accepts the subject %j', (subject) => {
    expect(parseSubject(subject)).toBe(subject);
  });

  it.each([
    ['empty', ''],
    ['openssl one-line style', '/CN=billing/O=Acme'],
    ['RFC 2253 comma style with spaces', 'CN = billing, O = Acme'],
    ['an empty line', 'CN=a\n\nO=b'],
    ['a control character', 'CN=a\tb'],
    ['over 1024 characters', `CN=${'a'.repeat(1024)}`],
  ])('refuses a subject that is %s with INVALID_ARGUMENT', (_name, subject) => {
    expect(() => parseSubject(subject)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', details: { field: 'subject' } }));
  });

  it.each([['certificate'], ['certificateAndToken']])('accepts the mode %s', (mode) => {
    expect(parseCertificateMode(mode)).toBe(mode);
  });

  it.each([[''], ['token'], ['Certificate'], ['certificate_and_token']])('refuses the mode %j', (mode) => {
    expect(() => parseCertificateMode(mode)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', details: { field: 'mode' } }));
  });

  it('matches when every bound field equals the certificate', () => {
    const cert = { kind: 'verified' as const, subject: 'CN=a', sha256: hex };
    const mode = CertificateMode.certificate;
    expect(matchesBinding({ subject: 'CN=a', sha256: null, mode }, cert)).toBe(true);
    expect(matchesBinding({ subject: null, sha256: hex, mode }, cert)).toBe(true);
    expect(matchesBinding({ subject: 'CN=a', sha256: hex, mode }, cert)).toBe(true);
    expect(matchesBinding({ subject: 'CN=b', sha256: hex, mode }, cert)).toBe(false);
    expect(matchesBinding({ subject: 'CN=a', sha256: 'cd'.repeat(32), mode }, cert)).toBe(false);
  });
});
