import { createPrivateKey, createPublicKey, KeyObject } from 'node:crypto';

/** Customer-side key material, ready to wrap: AES raw bytes, or RSA/EC as PKCS#8 DER with the public key. */
export type KeyMaterial =
  | { kty: 'oct'; size: number; material: Buffer }
  | { kty: 'RSA'; size: number; material: Buffer; publicKey: KeyObject }
  | { kty: 'EC'; curve: string; material: Buffer; publicKey: KeyObject };

const CURVE_NAMES: Record<string, string> = { prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521', secp256k1: 'secp256k1' };

/**
 * Reads a key file: PEM (any private key format openssl writes), DER (PKCS#8, PKCS#1 RSA or SEC1 EC), or raw AES
 * bytes (16, 24 or 32; `raw` forces this reading). RSA and EC keys are re-encoded as PKCS#8 DER, which is what the
 * HSM unwraps (`openssl genpkey -outform DER` is not always PKCS#8).
 */
export function readKeyMaterial(bytes: Buffer, raw = false): KeyMaterial {
  if (!raw) {
    const key = parsePrivateKey(bytes);
    if (key) return fromPrivateKey(key);
  }
  if (bytes.length === 16 || bytes.length === 24 || bytes.length === 32) return { kty: 'oct', size: bytes.length * 8, material: Buffer.from(bytes) };
  throw new Error('the key file is neither a PEM/DER RSA or EC private key nor 16, 24 or 32 raw AES key bytes');
}

function parsePrivateKey(bytes: Buffer): KeyObject | undefined {
  const text = bytes.toString('latin1');
  if (text.includes('-----BEGIN')) {
    try {
      return createPrivateKey({ key: text, format: 'pem' });
    } catch {
      throw new Error('the PEM file does not hold an unencrypted private key');
    }
  }
  for (const type of ['pkcs8', 'pkcs1', 'sec1'] as const) {
    try {
      return createPrivateKey({ key: bytes, format: 'der', type });
    } catch {
      // next encoding
    }
  }
  return undefined;
}

function fromPrivateKey(key: KeyObject): KeyMaterial {
  const material = key.export({ format: 'der', type: 'pkcs8' });
  const publicKey = createPublicKey(key);
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'rsa') return { kty: 'RSA', size: details.modulusLength ?? 0, material, publicKey };
  if (key.asymmetricKeyType === 'ec') {
    return { kty: 'EC', curve: CURVE_NAMES[details.namedCurve ?? ''] ?? details.namedCurve ?? 'unknown', material, publicKey };
  }
  throw new Error(`a ${key.asymmetricKeyType ?? 'unknown'} key cannot be imported (RSA, EC and AES only)`);
}
