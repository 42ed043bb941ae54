import { randomBytes } from 'node:crypto';
import { loadPoolsFile, PoolConfig } from '@keybridge/hsm';

/**
 * The pools medium tests run against: KEYBRIDGE_POOLS_FILE with pool-a, pool-b (SoftHSM2) and pool-n (NSS).
 * Missing configuration fails the suite rather than skipping it: a skipped HSM test proves nothing.
 */
export function testPools(): PoolConfig[] {
  const file = process.env.KEYBRIDGE_POOLS_FILE;
  if (!file) throw new Error('KEYBRIDGE_POOLS_FILE is not set: the HSM tests need the SoftHSM2 and NSS pools (see docs/configuration.md)');
  return loadPoolsFile(file);
}

export function poolOf(pools: PoolConfig[], vendor: PoolConfig['vendor']): PoolConfig {
  const pool = pools.find((p) => p.vendor === vendor);
  if (!pool) throw new Error(`KEYBRIDGE_POOLS_FILE declares no ${vendor} pool`);
  return pool;
}

export function newObjectId(): string {
  return randomBytes(16).toString('hex');
}
