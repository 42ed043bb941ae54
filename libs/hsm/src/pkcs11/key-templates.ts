import * as pkcs11js from 'pkcs11js';
import { CURVES } from '../encoding/ec-curves';
import { GenerateKeyRequest } from '../hsm.port';

type Template = pkcs11js.Template;

const F4 = Buffer.from([0x01, 0x00, 0x01]);

type ObjectIdentity = Pick<GenerateKeyRequest, 'objectId' | 'label'>;

function common(request: ObjectIdentity): Template {
  return [
    { type: pkcs11js.CKA_TOKEN, value: true },
    { type: pkcs11js.CKA_ID, value: Buffer.from(request.objectId, 'hex') },
    { type: pkcs11js.CKA_LABEL, value: request.label },
  ];
}

/** Private or secret half: always sensitive; extractable only for exportable keys, and then only to trusted keys. */
function protection(request: GenerateKeyRequest): Template {
  const template: Template = [
    { type: pkcs11js.CKA_PRIVATE, value: true },
    { type: pkcs11js.CKA_SENSITIVE, value: true },
    { type: pkcs11js.CKA_EXTRACTABLE, value: request.exportable },
  ];
  if (request.exportable) template.push({ type: pkcs11js.CKA_WRAP_WITH_TRUSTED, value: true });
  return template;
}

/** The public half's token object without its key-type members (generated and imported keys alike). */
export function publicKeyTemplate(target: ObjectIdentity & Pick<GenerateKeyRequest, 'usage'>): Template {
  const { usage } = target;
  return [
    { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PUBLIC_KEY },
    ...common(target),
    { type: pkcs11js.CKA_PRIVATE, value: false },
    // Every usage explicitly: SoftHSM defaults CKA_ENCRYPT/CKA_WRAP (and CKA_DECRYPT/CKA_UNWRAP) to true otherwise.
    { type: pkcs11js.CKA_ENCRYPT, value: usage.encrypt },
    { type: pkcs11js.CKA_WRAP, value: usage.wrap },
    { type: pkcs11js.CKA_VERIFY, value: usage.verify },
    { type: pkcs11js.CKA_DERIVE, value: false },
  ];
}

export interface KeyPairTemplates {
  mechanism: pkcs11js.Mechanism;
  publicTemplate: Template;
  privateTemplate: Template;
}

export function keyPairTemplates(request: GenerateKeyRequest): KeyPairTemplates {
  const { spec, usage } = request;
  if (spec.kty === 'oct') throw new Error('not a key pair');
  const publicTemplate = publicKeyTemplate(request);
  const privateTemplate: Template = [
    { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY },
    ...common(request),
    ...protection(request),
    { type: pkcs11js.CKA_DECRYPT, value: usage.decrypt },
    { type: pkcs11js.CKA_UNWRAP, value: usage.unwrap },
    { type: pkcs11js.CKA_SIGN, value: usage.sign },
    { type: pkcs11js.CKA_DERIVE, value: false },
  ];
  if (spec.kty === 'RSA') {
    publicTemplate.push(
      { type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_RSA },
      { type: pkcs11js.CKA_MODULUS_BITS, value: spec.bits },
      { type: pkcs11js.CKA_PUBLIC_EXPONENT, value: F4 },
    );
    privateTemplate.push({ type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_RSA });
    return { mechanism: { mechanism: pkcs11js.CKM_RSA_PKCS_KEY_PAIR_GEN }, publicTemplate, privateTemplate };
  }
  publicTemplate.push(
    { type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_EC },
    { type: pkcs11js.CKA_EC_PARAMS, value: CURVES[spec.curve].oid },
  );
  privateTemplate.push({ type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_EC });
  return { mechanism: { mechanism: pkcs11js.CKM_EC_KEY_PAIR_GEN }, publicTemplate, privateTemplate };
}

export function secretKeyTemplate(request: GenerateKeyRequest): { mechanism: pkcs11js.Mechanism; template: Template } {
  const { spec, usage } = request;
  if (spec.kty !== 'oct') throw new Error('not a secret key');
  return {
    mechanism: { mechanism: pkcs11js.CKM_AES_KEY_GEN },
    template: [
      { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_SECRET_KEY },
      { type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_AES },
      ...common(request),
      ...protection(request),
      { type: pkcs11js.CKA_VALUE_LEN, value: spec.bits / 8 },
      { type: pkcs11js.CKA_ENCRYPT, value: usage.encrypt },
      { type: pkcs11js.CKA_DECRYPT, value: usage.decrypt },
      { type: pkcs11js.CKA_WRAP, value: usage.wrap },
      { type: pkcs11js.CKA_UNWRAP, value: usage.unwrap },
      { type: pkcs11js.CKA_SIGN, value: false },
      { type: pkcs11js.CKA_VERIFY, value: false },
      { type: pkcs11js.CKA_DERIVE, value: false },
    ],
  };
}

/** A session-only value that C_WrapKey may read (wrapValue) or that C_UnwrapKey creates (unwrapValue). */
export function sessionSecretTemplate(value?: Buffer): Template {
  const template: Template = [
    { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_SECRET_KEY },
    { type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_GENERIC_SECRET },
    { type: pkcs11js.CKA_TOKEN, value: false },
    { type: pkcs11js.CKA_PRIVATE, value: true },
    { type: pkcs11js.CKA_SENSITIVE, value: false },
    { type: pkcs11js.CKA_EXTRACTABLE, value: true },
  ];
  if (value) template.push({ type: pkcs11js.CKA_VALUE, value });
  return template;
}

/** A new data-encryption key (generateDataKey): session-only and readable once, because its value is the result. */
export function dataKeyTemplate(bytes: number): Template {
  return [
    { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_SECRET_KEY },
    { type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_AES },
    { type: pkcs11js.CKA_TOKEN, value: false },
    { type: pkcs11js.CKA_PRIVATE, value: true },
    { type: pkcs11js.CKA_SENSITIVE, value: false },
    { type: pkcs11js.CKA_EXTRACTABLE, value: true },
    { type: pkcs11js.CKA_VALUE_LEN, value: bytes },
  ];
}

/**
 * What rewrap unwraps a data key into: session-only, sensitive (its value cannot be read out), extractable only so
 * that C_WrapKey can wrap it under the target key; destroyed right after.
 */
export function rewrapSecretTemplate(): Template {
  return [
    { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_SECRET_KEY },
    { type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_GENERIC_SECRET },
    { type: pkcs11js.CKA_TOKEN, value: false },
    { type: pkcs11js.CKA_PRIVATE, value: true },
    { type: pkcs11js.CKA_SENSITIVE, value: true },
    { type: pkcs11js.CKA_EXTRACTABLE, value: true },
  ];
}
