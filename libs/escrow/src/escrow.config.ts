import { ConfigError } from '@keybridge/platform';
import { z } from 'zod';

const schema = z.object({
  /** BullMQ queue of re-wrap slots; a worker consumes one queue and reconciles only the jobs created for it. */
  KEYBRIDGE_REWRAP_QUEUE: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/).default('keybridge-rewrap'),
  /** Slot jobs enqueued per job (how many ranges are worked on at once, across all workers). */
  KEYBRIDGE_REWRAP_SLOTS: z.coerce.number().int().min(1).max(64).default(8),
  /** Slots one worker process runs at once. */
  KEYBRIDGE_REWRAP_CONCURRENCY: z.coerce.number().int().min(1).max(32).default(4),
  /** A claimed range is another worker's to take when its lease has not been renewed for this long. */
  KEYBRIDGE_REWRAP_LEASE_SECONDS: z.coerce.number().min(1).max(3600).default(15),
  /** How often each worker looks for jobs that lost their queue entries (Redis restart) and re-enqueues them. */
  KEYBRIDGE_REWRAP_RECONCILE_SECONDS: z.coerce.number().min(0.5).max(3600).default(5),
  /** Records per range (a job is split into ranges of about this many records, at most 1,000 ranges). */
  KEYBRIDGE_REWRAP_RANGE_RECORDS: z.coerce.number().int().min(1).max(10_000_000).default(20_000),
  /** Records per blocking HSM call in the worker (the event loop is free between chunks). */
  KEYBRIDGE_REWRAP_CHUNK: z.coerce.number().int().min(1).max(10_000).default(128),
  /** How often the progress subscription reads the job from Postgres, ms. */
  KEYBRIDGE_REWRAP_PROGRESS_POLL_MS: z.coerce.number().int().min(100).max(60_000).default(1000),
});

export type EscrowConfigValues = z.infer<typeof schema>;

/** Settings of escrow and re-wrap jobs, validated from the environment (docs/configuration.md). */
export class EscrowConfig {
  constructor(readonly values: Readonly<EscrowConfigValues>) {}

  static fromEnv(env: NodeJS.ProcessEnv = process.env): EscrowConfig {
    const parsed = schema.safeParse(env);
    if (!parsed.success) {
      throw new ConfigError(`invalid configuration:\n${parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n')}`);
    }
    return new EscrowConfig(parsed.data);
  }
}
