import { createECDH, randomBytes } from 'node:crypto';
import { CURVES } from '../encoding/ec-curves';
import { EcCurve } from '../hsm.port';

/**
 * ECDSA over a caller-supplied digest (what CKM_ECDSA does), for the in-memory fake: node:crypto only signs
 * messages it hashes itself. Plain BigInt Jacobian arithmetic: slow (milliseconds), not constant-time, test-only.
 */
interface Params {
  p: bigint;
  a: bigint;
  n: bigint;
  g: Affine;
  bytes: number;
}
interface Affine {
  x: bigint;
  y: bigint;
}
type Jacobian = { x: bigint; y: bigint; z: bigint } | null;

const HEX: Record<EcCurve, { p: string; a: string; n: string }> = {
  'P-256': {
    p: 'ffffffff00000001000000000000000000000000ffffffffffffffffffffffff',
    a: 'ffffffff00000001000000000000000000000000fffffffffffffffffffffffc',
    n: 'ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551',
  },
  'P-384': {
    p: 'fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffeffffffff0000000000000000ffffffff',
    a: 'fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffeffffffff0000000000000000fffffffc',
    n: 'ffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973',
  },
  'P-521': {
    p: '1' + 'f'.repeat(130),
    a: '1' + 'f'.repeat(129) + 'c',
    n: '1fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409',
  },
  secp256k1: {
    p: 'fffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2f',
    a: '0',
    n: 'fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141',
  },
};

const cache = new Map<EcCurve, Params>();

export function curveParams(curve: EcCurve): Params {
  const known = cache.get(curve);
  if (known) return known;
  const info = CURVES[curve];
  const one = Buffer.alloc(info.fieldBytes);
  one[one.length - 1] = 1;
  const ecdh = createECDH(info.nodeName);
  ecdh.setPrivateKey(one);
  const g = toAffinePoint(ecdh.getPublicKey(), info.fieldBytes);
  const hex = HEX[curve];
  const params = { p: BigInt(`0x${hex.p}`), a: BigInt(`0x${hex.a}`), n: BigInt(`0x${hex.n}`), g, bytes: info.fieldBytes };
  cache.set(curve, params);
  return params;
}

export function toAffinePoint(uncompressed: Buffer, bytes: number): Affine {
  return { x: toBig(uncompressed.subarray(1, 1 + bytes)), y: toBig(uncompressed.subarray(1 + bytes)) };
}

export function signDigest(curve: EcCurve, d: bigint, digest: Buffer): Buffer {
  const c = curveParams(curve);
  const z = digestToInt(digest, c.n);
  for (;;) {
    const k = (toBig(randomBytes(c.bytes + 8)) % (c.n - 1n)) + 1n;
    const point = toAffine(multiply(c, k, c.g), c);
    if (!point) continue;
    const r = mod(point.x, c.n);
    const s = mod(inverse(k, c.n) * (z + r * d), c.n);
    if (r !== 0n && s !== 0n) return Buffer.concat([toBytes(r, c.bytes), toBytes(s, c.bytes)]);
  }
}

export function verifyDigest(curve: EcCurve, q: Affine, digest: Buffer, signature: Buffer): boolean {
  const c = curveParams(curve);
  if (signature.length !== 2 * c.bytes) return false;
  const r = toBig(signature.subarray(0, c.bytes));
  const s = toBig(signature.subarray(c.bytes));
  if (r <= 0n || r >= c.n || s <= 0n || s >= c.n) return false;
  const w = inverse(s, c.n);
  const z = digestToInt(digest, c.n);
  const point = toAffine(add(c, multiply(c, mod(z * w, c.n), c.g), multiply(c, mod(r * w, c.n), q)), c);
  return point !== null && mod(point.x, c.n) === r;
}

/** Leftmost bits of the digest, as many as the order has (SEC 1 §4.1.3 step 5). */
function digestToInt(digest: Buffer, n: bigint): bigint {
  const excess = digest.length * 8 - n.toString(2).length;
  const e = toBig(digest);
  return excess > 0 ? e >> BigInt(excess) : e;
}

function multiply(c: Params, k: bigint, point: Affine | Jacobian): Jacobian {
  let result: Jacobian = null;
  let addend: Jacobian = point && 'z' in point ? point : point ? { ...point, z: 1n } : null;
  for (let e = k; e > 0n; e >>= 1n) {
    if (e & 1n) result = add(c, result, addend);
    addend = double(c, addend);
  }
  return result;
}

function double(c: Params, point: Jacobian): Jacobian {
  if (!point || point.y === 0n) return null;
  const { p } = c;
  const { x, y, z } = point;
  const yy = mod(y * y, p);
  const s = mod(4n * x * yy, p);
  const zz = mod(z * z, p);
  const m = mod(3n * x * x + c.a * zz * zz, p);
  const x3 = mod(m * m - 2n * s, p);
  return { x: x3, y: mod(m * (s - x3) - 8n * yy * yy, p), z: mod(2n * y * z, p) };
}

function add(c: Params, a: Jacobian, b: Jacobian): Jacobian {
  if (!a) return b;
  if (!b) return a;
  const { p } = c;
  const z1z1 = mod(a.z * a.z, p);
  const z2z2 = mod(b.z * b.z, p);
  const u1 = mod(a.x * z2z2, p);
  const u2 = mod(b.x * z1z1, p);
  const s1 = mod(a.y * b.z * z2z2, p);
  const s2 = mod(b.y * a.z * z1z1, p);
  if (u1 === u2) return s1 === s2 ? double(c, a) : null;
  const h = mod(u2 - u1, p);
  const r = mod(s2 - s1, p);
  const hh = mod(h * h, p);
  const hhh = mod(h * hh, p);
  const v = mod(u1 * hh, p);
  const x3 = mod(r * r - hhh - 2n * v, p);
  return { x: x3, y: mod(r * (v - x3) - s1 * hhh, p), z: mod(a.z * b.z * h, p) };
}

function toAffine(point: Jacobian, c: Params): Affine | null {
  if (!point) return null;
  const zi = inverse(point.z, c.p);
  const zi2 = mod(zi * zi, c.p);
  return { x: mod(point.x * zi2, c.p), y: mod(point.y * zi2 * zi, c.p) };
}

function mod(v: bigint, m: bigint): bigint {
  const r = v % m;
  return r < 0n ? r + m : r;
}

/** m is prime for every supported field and order. */
function inverse(v: bigint, m: bigint): bigint {
  let result = 1n;
  let base = mod(v, m);
  for (let e = m - 2n; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * base) % m;
    base = (base * base) % m;
  }
  return result;
}

export function toBig(bytes: Buffer): bigint {
  return bytes.length === 0 ? 0n : BigInt(`0x${bytes.toString('hex')}`);
}

function toBytes(v: bigint, length: number): Buffer {
  return Buffer.from(v.toString(16).padStart(length * 2, '0'), 'hex');
}
