import { z } from 'zod';

const postgresUrl = z
  .string()
  .refine((v) => /^postgres(ql)?:\/\//.test(v), 'must be a postgres:// URL');

const envSchema = z.object({
  DATABASE_URL: postgresUrl,
  DATABASE_MIGRATION_URL: postgresUrl.optional(),
  REDIS_URL: z.string().refine((v) => /^rediss?:\/\//.test(v), 'must be a redis:// URL'),
  KEYBRIDGE_POOLS_FILE: z.string().min(1),
  HOST: z.string().default('127.0.0.1'),
  PORT: z.coerce.number().int().min(1).max(65535).default(8787),
  KEYBRIDGE_JWT_JWKS_FILE: z.string().optional(),
  KEYBRIDGE_JWT_ISSUER: z.string().optional(),
  KEYBRIDGE_JWT_AUDIENCE: z.string().optional(),
  KEYBRIDGE_LEDGER_BATCH_MAX: z.coerce.number().int().min(1).max(10_000).default(1000),
  KEYBRIDGE_DB_POOL_SIZE: z.coerce.number().int().min(2).max(200).default(16),
  /** Longest wait for a pool connection; beyond it the caller gets UNAVAILABLE (overload), not a hang. */
  KEYBRIDGE_DB_ACQUIRE_TIMEOUT_MS: z.coerce.number().int().min(50).max(60_000).default(2000),
  /** What a nested connection acquisition (a transaction waiting for a second connection) does: docs/configuration.md. */
  KEYBRIDGE_DB_GUARD: z.enum(['throw', 'log', 'off']).default('throw'),
  /**
   * How long access-check caches (credentials, grants, key metadata) may serve an entry at most; changes reach every
   * process through Postgres LISTEN/NOTIFY long before that (docs/configuration.md). 0 turns the caches off.
   */
  KEYBRIDGE_CACHE_TTL_MS: z.coerce.number().int().min(0).max(3_600_000).default(10_000),
  /** How often the change feed proves its connection alive; caches are bypassed after two missed beats. */
  KEYBRIDGE_CACHE_HEARTBEAT_MS: z.coerce.number().int().min(50).max(10_000).default(250),
  /** Whether this process integrates the ledger queue in the background (readers still settle it when they must). */
  KEYBRIDGE_LEDGER_INTEGRATE: z.enum(['on', 'off']).default('on'),
  /** How often each process moves committed ledger queue entries into the chain (0: only when it queued some). */
  KEYBRIDGE_LEDGER_INTEGRATE_INTERVAL_MS: z.coerce.number().int().min(0).max(60_000).default(200),
  /** Most queue entries integrated in one transaction. */
  KEYBRIDGE_LEDGER_INTEGRATE_BATCH: z.coerce.number().int().min(1).max(100_000).default(5000),
  /** HSM pool holding the ledger's checkpoint signing key (default: the first SoftHSM2 pool, else the first pool). */
  KEYBRIDGE_LEDGER_SIGNING_POOL: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'a pool name').optional(),
  /** How often the worker signs a checkpoint while entries arrive. */
  KEYBRIDGE_CHECKPOINT_INTERVAL_MS: z.coerce.number().int().min(200).max(3_600_000).default(4000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type AppConfigValues = z.infer<typeof envSchema>;

export class ConfigError extends Error {}

/** Validated process configuration; one line per bad variable, values never echoed (they may be secrets). */
export class AppConfig {
  private constructor(readonly values: Readonly<AppConfigValues>) {}

  static fromEnv(env: NodeJS.ProcessEnv = process.env, required: ReadonlyArray<keyof AppConfigValues> = []): AppConfig {
    const parsed = envSchema.safeParse(withOptionalDefaults(env, required));
    if (!parsed.success) {
      const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
      throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
    }
    return new AppConfig(parsed.data);
  }

  get migrationUrl(): string {
    return this.values.DATABASE_MIGRATION_URL ?? this.values.DATABASE_URL;
  }
}

/** Processes that do not need every dependency (e.g. the migrate command) pass placeholders for the rest. */
function withOptionalDefaults(env: NodeJS.ProcessEnv, required: ReadonlyArray<keyof AppConfigValues>): NodeJS.ProcessEnv {
  if (required.length === 0) return env;
  const placeholders: Partial<Record<keyof AppConfigValues, string>> = {
    DATABASE_URL: 'postgres://unused',
    REDIS_URL: 'redis://unused',
    KEYBRIDGE_POOLS_FILE: 'unused',
  };
  const out: NodeJS.ProcessEnv = { ...env };
  for (const [name, value] of Object.entries(placeholders)) {
    if (!required.includes(name as keyof AppConfigValues) && !out[name]) out[name] = value;
  }
  return out;
}
