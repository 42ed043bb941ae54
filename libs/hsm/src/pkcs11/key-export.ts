import * as pkcs11js from 'pkcs11js';
import { HsmError, HsmErrorCode } from '../hsm.errors';
import { ExportKeysRequest, PoolCapabilities, PublicKeyJwk } from '../hsm.port';
import { ckrName } from './ckr';
import { toPkcs11Mechanism } from './mechanisms';
import { sessionSecretTemplate } from './key-templates';

type Template = pkcs11js.Template;

export interface ExportSession {
  lib: pkcs11js.PKCS11;
  session: Buffer;
  caps: PoolCapabilities;
  pool: string;
}

/** Room for an RFC 5649 wrap of an RSA-4096 PKCS#8 key (about 2.4 kB) and then some. */
const WRAP_OUTPUT_BYTES = 4096;

/**
 * The receiving side's RSA public key as a session object that may only wrap. `trusted` (security officer only):
 * CKA_TRUSTED, so it may wrap the trusted ephemeral key, which carries CKA_WRAP_WITH_TRUSTED itself.
 */
export function recipientTemplate(recipient: PublicKeyJwk, trusted: boolean): Template {
  if (recipient.kty !== 'RSA') throw new HsmError(HsmErrorCode.HSM_INVALID_INPUT, 'the recipient of an export is an RSA public key');
  const template: Template = [
    { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PUBLIC_KEY },
    { type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_RSA },
    { type: pkcs11js.CKA_TOKEN, value: false },
    { type: pkcs11js.CKA_PRIVATE, value: false },
    { type: pkcs11js.CKA_MODULUS, value: Buffer.from(recipient.n, 'base64url') },
    { type: pkcs11js.CKA_PUBLIC_EXPONENT, value: Buffer.from(recipient.e, 'base64url') },
    { type: pkcs11js.CKA_WRAP, value: true },
    { type: pkcs11js.CKA_ENCRYPT, value: false },
    { type: pkcs11js.CKA_VERIFY, value: false },
  ];
  if (trusted) template.push({ type: pkcs11js.CKA_TRUSTED, value: true });
  return template;
}

/**
 * The ephemeral AES-256 key E: session-only, sensitive, may only wrap. A generated E must be extractable (it is itself
 * wrapped under the recipient); a caller's secret given as `value` never leaves and is not. Made by the security officer (`trusted`): public (an SO session sees no private objects),
 * CKA_TRUSTED so it may wrap CKA_WRAP_WITH_TRUSTED keys, and CKA_WRAP_WITH_TRUSTED itself so that a user cannot
 * wrap E under a key of their own and read it out.
 */
export function ephemeralTemplate(trusted: boolean, value?: Buffer): Template {
  const template: Template = [
    { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_SECRET_KEY },
    { type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_AES },
    value ? { type: pkcs11js.CKA_VALUE, value } : { type: pkcs11js.CKA_VALUE_LEN, value: 32 },
    { type: pkcs11js.CKA_TOKEN, value: false },
    { type: pkcs11js.CKA_PRIVATE, value: !trusted },
    { type: pkcs11js.CKA_SENSITIVE, value: true },
    { type: pkcs11js.CKA_EXTRACTABLE, value: value === undefined },
    { type: pkcs11js.CKA_WRAP, value: true },
    { type: pkcs11js.CKA_UNWRAP, value: false },
    { type: pkcs11js.CKA_ENCRYPT, value: false },
    { type: pkcs11js.CKA_DECRYPT, value: false },
    { type: pkcs11js.CKA_SIGN, value: false },
    { type: pkcs11js.CKA_VERIFY, value: false },
    { type: pkcs11js.CKA_DERIVE, value: false },
  ];
  if (trusted) template.push({ type: pkcs11js.CKA_TRUSTED, value: true }, { type: pkcs11js.CKA_WRAP_WITH_TRUSTED, value: true });
  return template;
}

/** Makes E and wraps it under the recipient (in an SO session when `trusted`); the recipient object is destroyed. */
export async function makeWrappedEphemeral(s: ExportSession, request: ExportKeysRequest, trusted: boolean): Promise<{ ephemeral: Buffer; wrapped: Buffer }> {
  const { lib, session, caps } = s;
  const recipient = lib.C_CreateObject(session, recipientTemplate(request.recipient, trusted));
  try {
    const ephemeral = await lib.C_GenerateKeyAsync(session, { mechanism: pkcs11js.CKM_AES_KEY_GEN }, ephemeralTemplate(trusted));
    try {
      const wrapped = await lib.C_WrapKeyAsync(
        session,
        toPkcs11Mechanism({ name: 'RSA_OAEP', hash: request.oaepHash }, caps),
        recipient,
        ephemeral,
        Buffer.alloc(1024),
      );
      return { ephemeral, wrapped };
    } catch (error) {
      destroyQuietly(s, ephemeral);
      throw error;
    }
  } finally {
    destroyQuietly(s, recipient);
  }
}

/** The caller's secret as the wrapping key E (security domains); made by the SO when `trusted`. */
export function secretAsEphemeral(s: ExportSession, secret: Buffer, trusted: boolean): Buffer {
  return s.lib.C_CreateObject(s.session, ephemeralTemplate(trusted, secret));
}

/** RFC 5649(E, bytes): the bytes go in as a session generic secret, destroyed right after. */
export async function sealUnderEphemeral(s: ExportSession, ephemeral: Buffer, bytes: Buffer): Promise<Buffer> {
  const secret = s.lib.C_CreateObject(s.session, sessionSecretTemplate(bytes));
  try {
    return await s.lib.C_WrapKeyAsync(s.session, { mechanism: s.caps.aesKeyWrapPadMechanism }, ephemeral, secret, Buffer.alloc(bytes.length + 64));
  } finally {
    destroyQuietly(s, secret);
  }
}

/** RFC 5649 wraps of each key object under E (user session). */
export async function wrapUnderEphemeral(s: ExportSession, ephemeral: Buffer, keys: Buffer[]): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for (const key of keys) {
    try {
      out.push(await s.lib.C_WrapKeyAsync(s.session, { mechanism: s.caps.aesKeyWrapPadMechanism }, ephemeral, key, Buffer.alloc(WRAP_OUTPUT_BYTES)));
    } catch (error) {
      const ckr = ckrName(error);
      if (ckr === 'CKR_KEY_UNEXTRACTABLE' || ckr === 'CKR_KEY_NOT_WRAPPABLE') {
        throw new HsmError(HsmErrorCode.EXPORT_REFUSED, `pool ${s.pool}: the HSM refuses to let the key leave (${ckr})`, { pool: s.pool, ckr });
      }
      throw error;
    }
  }
  return out;
}

export function destroyQuietly(s: ExportSession, handle: Buffer): void {
  try {
    s.lib.C_DestroyObject(s.session, handle);
  } catch {
    // session objects die with their session anyway
  }
}


