import { ConfigError } from '@keybridge/platform';
import { z } from 'zod';

const schema = z.object({
  /** BullMQ queue of webhook deliveries (gateway and worker must agree). */
  KEYBRIDGE_WEBHOOK_QUEUE: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/).default('keybridge-webhooks'),
  /** Attempts per delivery before it is recorded as failed. */
  KEYBRIDGE_WEBHOOK_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(8),
  /** First retry delay; each next one doubles. */
  KEYBRIDGE_WEBHOOK_BACKOFF_MS: z.coerce.number().int().min(100).max(3_600_000).default(2000),
  /** HSM pool of the key that seals stored secrets (webhook signing secrets); default the first SoftHSM2 pool. */
  KEYBRIDGE_SECRETS_POOL: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'a pool name').optional(),
});

/** Settings of events and webhook deliveries, validated from the environment (docs/configuration.md). */
export class EventsConfig {
  constructor(readonly values: Readonly<z.infer<typeof schema>>) {}

  get secretsPool(): string | undefined {
    return this.values.KEYBRIDGE_SECRETS_POOL;
  }

  static fromEnv(env: NodeJS.ProcessEnv = process.env): EventsConfig {
    const parsed = schema.safeParse(env);
    if (!parsed.success) {
      throw new ConfigError(`invalid configuration:\n${parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n')}`);
    }
    return new EventsConfig(parsed.data);
  }
}
