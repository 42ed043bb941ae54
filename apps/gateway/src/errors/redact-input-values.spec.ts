import { redactInputValues } from './redact-input-values';

describe('redactInputValues', () => {
  it.each([
    ['Variable "$v" got invalid value 12345; String cannot represent a non string value: 12345'],
    ['Variable "$k" got invalid value { vault: "v", name: "n", secret: "c2VjcmV0" }; Field "secret" is not defined by type "KeyRefInput".'],
    ['String cannot represent a non string value: [1, 2, 3]'],
  ])('drops the quoted value from %s', (message) => {
    const out = redactInputValues({ message, extensions: { code: 'BAD_USER_INPUT' } });
    expect(out.message).not.toMatch(/12345|c2VjcmV0|\[1, 2, 3\]/);
    expect(out.extensions).toEqual({ code: 'BAD_USER_INPUT' });
  });

  it('leaves other messages alone', () => {
    const error = { message: 'vault v not found', extensions: { code: 'VAULT_NOT_FOUND' } };
    expect(redactInputValues(error)).toBe(error);
  });
});
