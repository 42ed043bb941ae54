import { readFileSync } from 'node:fs';
import { ConfigError } from '@keybridge/platform';
import { z } from 'zod';

const secretSource = z.union([
  z.object({ file: z.string().min(1) }).strict(),
  z.object({ env: z.string().min(1) }).strict(),
]);

const poolSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lower-case letters, digits and dashes'),
    vendor: z.enum(['softhsm2', 'nss', 'generic']),
    module: z.string().min(1),
    tokenLabel: z.string().min(1),
    pin: secretSource,
    soPin: secretSource.optional(),
    /** NSS softokn: "configdir='sql:<dir>' certPrefix='' keyPrefix='' secmod='secmod.db' flags=" */
    libraryParameters: z.string().optional(),
    /** Set in process.env before the module is loaded (e.g. SOFTHSM2_CONF). */
    environment: z.record(z.string(), z.string()).default({}),
    sessions: z.number().int().min(1).max(256).default(8),
    /** Longest wait for a free session; beyond it the caller gets UNAVAILABLE (overload) instead of queueing on. */
    acquireTimeoutMs: z.number().int().min(10).max(600_000).default(2000),
    /**
     * For modules that do not enforce CKA_WRAP_WITH_TRUSTED (NSS softokn): allow exportable keys anyway, knowing any
     * PIN holder of the token could read them out. Without it such pools refuse exportable keys.
     */
    allowPinOnlyExport: z.boolean().default(false),
  })
  .strict();

export const poolsFileSchema = z
  .object({ pools: z.array(poolSchema).min(1) })
  .strict()
  .refine((f) => new Set(f.pools.map((p) => p.name)).size === f.pools.length, { message: 'pool names must be unique' });

export type PoolConfig = z.infer<typeof poolSchema>;
export type SecretSource = z.infer<typeof secretSource>;

export function loadPoolsFile(path: string): PoolConfig[] {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new ConfigError(`KEYBRIDGE_POOLS_FILE ${path}: cannot read JSON (${(e as Error).message})`);
  }
  const parsed = poolsFileSchema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new ConfigError(`KEYBRIDGE_POOLS_FILE ${path} is invalid:\n${lines.join('\n')}`);
  }
  return parsed.data.pools;
}

export function readSecret(source: SecretSource, what: string): string {
  if ('env' in source) {
    const value = process.env[source.env];
    if (!value) throw new Error(`${what}: environment variable ${source.env} is empty or unset`);
    return value;
  }
  try {
    return readFileSync(source.file, 'utf8').trim();
  } catch {
    throw new Error(`${what}: cannot read ${source.file}`);
  }
}
