import { ConfigError } from '@keybridge/platform';
import { z } from 'zod';

const schema = z.object({
  /** BullMQ queue of vault migrations; a worker consumes one queue and reconciles only the jobs created for it. */
  KEYBRIDGE_MIGRATION_QUEUE: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/).default('keybridge-migration'),
  /** A claimed key is another worker's to take when it has not finished within this long. */
  KEYBRIDGE_MIGRATION_LEASE_SECONDS: z.coerce.number().min(1).max(3600).default(60),
  /** How often each worker looks for migrations that lost their queue entry or their worker, and wakes them. */
  KEYBRIDGE_MIGRATION_RECONCILE_SECONDS: z.coerce.number().min(0.5).max(3600).default(5),
  /** Attempts per key before an unexpected (untyped) failure is final. */
  KEYBRIDGE_MIGRATION_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(3),
});

/** Settings of whole-vault migrations, validated from the environment (docs/configuration.md). */
export class MigrationConfig {
  constructor(readonly values: Readonly<z.infer<typeof schema>>) {}

  static fromEnv(env: NodeJS.ProcessEnv = process.env): MigrationConfig {
    const parsed = schema.safeParse(env);
    if (!parsed.success) {
      throw new ConfigError(`invalid configuration:\n${parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n')}`);
    }
    return new MigrationConfig(parsed.data);
  }
}
