import { constants, createPublicKey, KeyObject, publicEncrypt, randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { HSM_PORT, HsmError, HsmErrorCode, HsmKeyRef, HsmMechanism, HsmPort, KeySpec, PublicKeyJwk } from '@keybridge/hsm';
import { invalidArgument, KeyError, KeyErrorCode } from '../keys.errors';
import { DIGEST_LENGTH, EncryptAlgorithm, OAEP_HASH, SIGN_DIGEST, SignAlgorithm, WrapAlgorithm } from './algorithm-table';
import { digestInfo } from './digest-info';

export interface UsableKey {
  ref: HsmKeyRef;
  spec: KeySpec;
  publicJwk: PublicKeyJwk | null;
}

export interface GcmResult {
  ciphertext: Buffer;
  iv: Buffer | null;
  tag: Buffer | null;
}

const GCM_IV_BYTES = 12;
const GCM_TAG_BYTES = 16;

/**
 * Runs the cryptography of one algorithm against one key version: private and secret-key work in the HSM,
 * RSA public-key encryption in Node from the stored public key (as Azure recommends; it also lets pools whose
 * module cannot do RSA-OAEP-256 still encrypt with it). Validates lengths before anything reaches the HSM.
 */
@Injectable()
export class KeyCrypto {
  private readonly publicKeys = new Map<string, KeyObject>();

  constructor(@Inject(HSM_PORT) private readonly hsm: HsmPort) {}

  async wrap(key: UsableKey, algorithm: WrapAlgorithm, value: Buffer): Promise<Buffer> {
    switch (algorithm) {
      case 'RSA_OAEP':
      case 'RSA_OAEP_256':
      case 'RSA1_5':
        return this.rsaPublicEncrypt(key, algorithm, value);
      case 'A128KW':
      case 'A192KW':
      case 'A256KW':
        if (value.length < 16 || value.length % 8 !== 0) throw invalidArgument('AES key wrap needs a value of 16 or more bytes in multiples of 8', 'value');
        return this.hsm.wrapValue(key.ref, { name: 'AES_KEY_WRAP' }, value);
      case 'CKM_AES_KEY_WRAP_PAD':
        return this.hsm.wrapValue(key.ref, { name: 'AES_KEY_WRAP_PAD' }, value);
    }
  }

  async unwrap(key: UsableKey, algorithm: WrapAlgorithm, wrapped: Buffer): Promise<Buffer> {
    switch (algorithm) {
      case 'RSA_OAEP':
      case 'RSA_OAEP_256':
      case 'RSA1_5':
        return this.rsaPrivateDecrypt(key, algorithm, wrapped);
      case 'A128KW':
      case 'A192KW':
      case 'A256KW':
        if (wrapped.length < 24 || wrapped.length % 8 !== 0) throw invalidArgument('an AES-wrapped key is 24 or more bytes in multiples of 8', 'value');
        return decrypting(this.hsm.unwrapValue(key.ref, { name: 'AES_KEY_WRAP' }, wrapped));
      case 'CKM_AES_KEY_WRAP_PAD':
        if (wrapped.length < 16 || wrapped.length % 8 !== 0) throw invalidArgument('an AES-KWP-wrapped key is 16 or more bytes in multiples of 8', 'value');
        return decrypting(this.hsm.unwrapValue(key.ref, { name: 'AES_KEY_WRAP_PAD' }, wrapped));
    }
  }

  async encrypt(key: UsableKey, algorithm: EncryptAlgorithm, plaintext: Buffer, iv: Buffer | null, aad: Buffer | null): Promise<GcmResult> {
    if (algorithm === 'RSA_OAEP' || algorithm === 'RSA_OAEP_256') {
      if (iv || aad) throw invalidArgument('iv and aad apply to AES-GCM only', iv ? 'iv' : 'aad');
      return { ciphertext: this.rsaPublicEncrypt(key, algorithm, plaintext), iv: null, tag: null };
    }
    if (iv && iv.length !== GCM_IV_BYTES) throw invalidArgument(`AES-GCM iv must be ${GCM_IV_BYTES} bytes`, 'iv');
    const nonce = iv ?? randomBytes(GCM_IV_BYTES);
    const out = await this.hsm.encrypt(key.ref, { name: 'AES_GCM', iv: nonce, aad: aad ?? Buffer.alloc(0) }, plaintext);
    return { ciphertext: out.subarray(0, out.length - GCM_TAG_BYTES), iv: nonce, tag: out.subarray(out.length - GCM_TAG_BYTES) };
  }

  async decrypt(
    key: UsableKey,
    algorithm: EncryptAlgorithm,
    ciphertext: Buffer,
    iv: Buffer | null,
    aad: Buffer | null,
    tag: Buffer | null,
  ): Promise<Buffer> {
    if (algorithm === 'RSA_OAEP' || algorithm === 'RSA_OAEP_256') {
      if (iv || aad || tag) throw invalidArgument('iv, aad and tag apply to AES-GCM only', 'iv');
      return this.rsaPrivateDecrypt(key, algorithm, ciphertext);
    }
    if (!iv || iv.length !== GCM_IV_BYTES) throw invalidArgument(`AES-GCM decrypt needs the ${GCM_IV_BYTES}-byte iv`, 'iv');
    if (!tag || tag.length !== GCM_TAG_BYTES) throw invalidArgument(`AES-GCM decrypt needs the ${GCM_TAG_BYTES}-byte tag`, 'tag');
    const mechanism: HsmMechanism = { name: 'AES_GCM', iv, aad: aad ?? Buffer.alloc(0) };
    return decrypting(this.hsm.decrypt(key.ref, mechanism, Buffer.concat([ciphertext, tag])));
  }

  async sign(key: UsableKey, algorithm: SignAlgorithm, digest: Buffer): Promise<Buffer> {
    return this.hsm.sign(key.ref, signMechanism(algorithm), signInput(algorithm, digest));
  }

  async verify(key: UsableKey, algorithm: SignAlgorithm, digest: Buffer, signature: Buffer): Promise<boolean> {
    if (signature.length === 0) throw invalidArgument('signature is empty', 'signature');
    return this.hsm.verify(key.ref, signMechanism(algorithm), signInput(algorithm, digest), signature);
  }

  private rsaPublicEncrypt(key: UsableKey, algorithm: 'RSA_OAEP' | 'RSA_OAEP_256' | 'RSA1_5', data: Buffer): Buffer {
    const modulusBytes = rsaModulusBytes(key);
    const hashLength = algorithm === 'RSA_OAEP' ? 20 : 32;
    const max = algorithm === 'RSA1_5' ? modulusBytes - 11 : modulusBytes - 2 * hashLength - 2;
    if (data.length > max) throw invalidArgument(`at most ${max} bytes can be encrypted with ${algorithm} under this key`, 'value');
    return publicEncrypt(
      {
        key: this.publicKey(key),
        padding: algorithm === 'RSA1_5' ? constants.RSA_PKCS1_PADDING : constants.RSA_PKCS1_OAEP_PADDING,
        oaepHash: algorithm === 'RSA_OAEP_256' ? 'sha256' : 'sha1',
      },
      data,
    );
  }

  private rsaPrivateDecrypt(key: UsableKey, algorithm: 'RSA_OAEP' | 'RSA_OAEP_256' | 'RSA1_5', data: Buffer): Promise<Buffer> {
    if (data.length !== rsaModulusBytes(key)) throw invalidArgument(`ciphertext must be ${rsaModulusBytes(key)} bytes for this key`, 'value');
    const hash = OAEP_HASH[algorithm];
    const mechanism: HsmMechanism = hash ? { name: 'RSA_OAEP', hash } : { name: 'RSA_PKCS1' };
    return decrypting(this.hsm.decrypt(key.ref, mechanism, data));
  }

  private publicKey(key: UsableKey): KeyObject {
    const id = `${key.ref.pool}/${key.ref.objectId}`;
    let cached = this.publicKeys.get(id);
    if (!cached) {
      if (!key.publicJwk) throw new KeyError(KeyErrorCode.INVALID_ARGUMENT, 'this key has no public part');
      cached = createPublicKey({ key: key.publicJwk, format: 'jwk' });
      if (this.publicKeys.size > 10_000) this.publicKeys.clear();
      this.publicKeys.set(id, cached);
    }
    return cached;
  }
}

function rsaModulusBytes(key: UsableKey): number {
  return key.spec.kty === 'RSA' ? key.spec.bits / 8 : 0;
}

function signMechanism(algorithm: SignAlgorithm): HsmMechanism {
  const hash = SIGN_DIGEST[algorithm];
  if (algorithm.startsWith('RS')) return { name: 'RSA_PKCS1_SIGN' };
  if (algorithm.startsWith('PS')) return { name: 'RSA_PSS', hash, saltLength: DIGEST_LENGTH[hash] };
  return { name: 'ECDSA' };
}

function signInput(algorithm: SignAlgorithm, digest: Buffer): Buffer {
  const hash = SIGN_DIGEST[algorithm];
  if (digest.length !== DIGEST_LENGTH[hash]) {
    throw invalidArgument(`${algorithm} signs a ${DIGEST_LENGTH[hash]}-byte ${hash} digest; got ${digest.length} bytes`, 'digest');
  }
  return algorithm.startsWith('RS') ? digestInfo(hash, digest) : digest;
}

/** Integrity and padding failures of caller data are the caller's problem, not the HSM's. */
async function decrypting(operation: Promise<Buffer>): Promise<Buffer> {
  try {
    return await operation;
  } catch (e) {
    if (e instanceof HsmError && e.code === HsmErrorCode.HSM_INVALID_INPUT) {
      throw new KeyError(KeyErrorCode.DECRYPTION_FAILED, 'the ciphertext or wrapped key did not decrypt under this key version');
    }
    throw e;
  }
}
