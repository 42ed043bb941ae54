import { createHash, randomBytes } from 'node:crypto';
import { DigestName } from '../hsm.port';

/**
 * EMSA-PSS (RFC 8017 §9.1) over a caller-supplied digest with MGF1 of the same hash — what CKM_RSA_PKCS_PSS
 * does — for the in-memory fake, which applies the raw RSA operation itself (node:crypto hashes messages itself).
 */
const NODE_HASH: Record<DigestName, string> = { 'SHA-256': 'sha256', 'SHA-384': 'sha384', 'SHA-512': 'sha512' };

function mgf1(hash: DigestName, seed: Buffer, length: number): Buffer {
  const blocks: Buffer[] = [];
  for (let counter = 0; blocks.length * seed.length < length; counter++) {
    const c = Buffer.alloc(4);
    c.writeUInt32BE(counter);
    blocks.push(createHash(NODE_HASH[hash]).update(seed).update(c).digest());
  }
  return Buffer.concat(blocks).subarray(0, length);
}

function mPrimeHash(hash: DigestName, digest: Buffer, salt: Buffer): Buffer {
  return createHash(NODE_HASH[hash]).update(Buffer.alloc(8)).update(digest).update(salt).digest();
}

/** EM of emLen = ceil((modBits - 1) / 8) bytes. */
export function pssEncode(hash: DigestName, digest: Buffer, saltLength: number, modBits: number): Buffer {
  const emBits = modBits - 1;
  const emLen = Math.ceil(emBits / 8);
  const salt = randomBytes(saltLength);
  const h = mPrimeHash(hash, digest, salt);
  const db = Buffer.concat([Buffer.alloc(emLen - saltLength - h.length - 2), Buffer.from([1]), salt]);
  const mask = mgf1(hash, h, db.length);
  for (let i = 0; i < db.length; i++) db[i] ^= mask[i];
  db[0] &= 0xff >> (8 * emLen - emBits);
  return Buffer.concat([db, h, Buffer.from([0xbc])]);
}

export function pssVerify(hash: DigestName, digest: Buffer, saltLength: number, modBits: number, em: Buffer): boolean {
  const emBits = modBits - 1;
  const emLen = Math.ceil(emBits / 8);
  const hLen = digest.length;
  if (em.length !== emLen || em[emLen - 1] !== 0xbc || emLen < hLen + saltLength + 2) return false;
  const db = Buffer.from(em.subarray(0, emLen - hLen - 1));
  const h = em.subarray(emLen - hLen - 1, emLen - 1);
  if ((db[0] & ~(0xff >> (8 * emLen - emBits))) !== 0) return false;
  const mask = mgf1(hash, h, db.length);
  for (let i = 0; i < db.length; i++) db[i] ^= mask[i];
  db[0] &= 0xff >> (8 * emLen - emBits);
  const psLength = emLen - hLen - saltLength - 2;
  if (db.subarray(0, psLength).some((b) => b !== 0) || db[psLength] !== 1) return false;
  return mPrimeHash(hash, digest, db.subarray(psLength + 1)).equals(h);
}
