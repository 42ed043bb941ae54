import { HsmMechanism, KeySpec, PoolCapabilities } from '@keybridge/hsm';
import { describeSpec, parseAlgorithm } from '@keybridge/keys';
import { EscrowError, EscrowErrorCode } from '../escrow.errors';

/** Wrapping algorithms an escrow record may carry (RSA1_5 is refused: it is not safe to keep data keys under). */
export const ESCROW_ALGORITHMS = ['CKM_AES_KEY_WRAP_PAD', 'A128KW', 'A192KW', 'A256KW', 'RSA_OAEP', 'RSA_OAEP_256'] as const;
export type EscrowAlgorithm = (typeof ESCROW_ALGORITHMS)[number];

export function parseEscrowAlgorithm(name: string, spec: KeySpec): EscrowAlgorithm {
  assertWrappingKey(spec);
  return parseAlgorithm(ESCROW_ALGORITHMS, name, spec);
}

export function isEscrowAlgorithm(name: string): name is EscrowAlgorithm {
  return (ESCROW_ALGORITHMS as readonly string[]).includes(name);
}

/** What new wrappings use: RFC 5649 under AES keys; RSA-OAEP under RSA keys, with SHA-256 where the pool can unwrap it. */
export function defaultAlgorithm(spec: KeySpec, caps: PoolCapabilities): EscrowAlgorithm {
  assertWrappingKey(spec);
  if (spec.kty === 'oct') return 'CKM_AES_KEY_WRAP_PAD';
  return caps.oaepHashes.includes('SHA-256') ? 'RSA_OAEP_256' : 'RSA_OAEP';
}

export function mechanismFor(algorithm: EscrowAlgorithm): HsmMechanism {
  switch (algorithm) {
    case 'CKM_AES_KEY_WRAP_PAD':
      return { name: 'AES_KEY_WRAP_PAD' };
    case 'A128KW':
    case 'A192KW':
    case 'A256KW':
      return { name: 'AES_KEY_WRAP' };
    case 'RSA_OAEP':
      return { name: 'RSA_OAEP', hash: 'SHA-1' };
    case 'RSA_OAEP_256':
      return { name: 'RSA_OAEP', hash: 'SHA-256' };
  }
}

export function assertWrappingKey(spec: KeySpec): void {
  if (spec.kty === 'EC') {
    throw new EscrowError(EscrowErrorCode.WRAPPING_KEY_TYPE_INVALID, `an ${describeSpec(spec)} key cannot wrap data keys; use an AES or RSA key`);
  }
}
