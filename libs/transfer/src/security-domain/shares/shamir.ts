import { combine, split } from 'shamir-secret-sharing';

/**
 * Shamir secret sharing over GF(256) by `shamir-secret-sharing` (privy-io, audited). A share is the secret's length
 * plus one byte: the y values, then the x coordinate. Shares are not authenticated: combining a wrong or tampered
 * share yields a wrong secret, not an error, so callers must check the result against a commitment.
 */
export const MAX_SHARES = 255;
export const MIN_THRESHOLD = 2;
export const MAX_SECRET_BYTES = 255;

export async function splitSecret(secret: Buffer, shares: number, threshold: number): Promise<Buffer[]> {
  if (!Number.isInteger(shares) || !Number.isInteger(threshold)) throw new Error('shares and threshold must be integers');
  if (threshold < MIN_THRESHOLD) throw new Error(`threshold must be at least ${MIN_THRESHOLD}`);
  if (shares < threshold) throw new Error('shares cannot be fewer than the threshold');
  if (shares > MAX_SHARES) throw new Error(`shares cannot be more than ${MAX_SHARES}`);
  if (secret.length < 1 || secret.length > MAX_SECRET_BYTES) throw new Error(`the secret must be 1 to ${MAX_SECRET_BYTES} bytes`);
  // The library checks `value.constructor === Uint8Array`, which a Buffer fails: hand it a plain copy and wipe it.
  const input = new Uint8Array(secret);
  try {
    const parts = await split(input, shares, threshold);
    return parts.map((part) => copyAndWipe(part));
  } finally {
    input.fill(0);
  }
}

export async function combineShares(shares: Buffer[]): Promise<Buffer> {
  if (shares.length < MIN_THRESHOLD) throw new Error(`at least ${MIN_THRESHOLD} shares are needed`);
  if (shares.length > MAX_SHARES) throw new Error(`at most ${MAX_SHARES} shares can be combined`);
  const length = shares[0].length;
  if (length < 2 || length > MAX_SECRET_BYTES + 1) throw new Error(`a share must be 2 to ${MAX_SECRET_BYTES + 1} bytes`);
  const coordinates = new Set<number>();
  for (const share of shares) {
    if (share.length !== length) throw new Error('all shares must have the same length');
    const x = share[length - 1];
    if (x === 0) throw new Error('a share has x coordinate 0, which no split produces');
    if (coordinates.has(x)) throw new Error('the same share was given twice (duplicate x coordinate)');
    coordinates.add(x);
  }
  const inputs = shares.map((share) => new Uint8Array(share));
  try {
    return copyAndWipe(await combine(inputs));
  } finally {
    for (const input of inputs) input.fill(0);
  }
}

function copyAndWipe(bytes: Uint8Array): Buffer {
  const copy = Buffer.from(bytes);
  bytes.fill(0);
  return copy;
}
