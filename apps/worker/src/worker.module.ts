import { BullModule } from '@nestjs/bullmq';
import { DynamicModule, Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { AuthModule } from '@keybridge/auth';
import { ByokModule } from '@keybridge/byok';
import { EscrowModule } from '@keybridge/escrow';
import { TransferModule } from '@keybridge/transfer';
import { EventsModule } from '@keybridge/events';
import { LifecycleModule } from '@keybridge/lifecycle';
import { HsmModule, PoolConfig } from '@keybridge/hsm';
import { LedgerAuditModule, LedgerModule } from '@keybridge/ledger';
import { AppConfig, DatabaseModule, PlatformConfigModule, redisConnectionOptions } from '@keybridge/platform';
import { pinoOptions } from '@keybridge/telemetry';
import { LoggerModule } from 'nestjs-pino';
import { HEALTH_QUEUE, HealthProbeProcessor } from './health-probe/health-probe.processor';
import { CHECKPOINT_QUEUE, LedgerCheckpointProcessor } from './ledger-checkpoint/ledger-checkpoint.processor';
import { EscrowPurgeScheduler } from './escrow-purge/escrow-purge.scheduler';
import { JobProgressRepository } from './metrics/job-progress.repository';
import { WorkerGauges } from './metrics/worker-gauges';
import { LIFECYCLE_QUEUE, LifecycleProcessor } from './lifecycle/lifecycle.processor';
import { MigrationReconcileScheduler } from './migration/migration-reconcile.scheduler';
import { WEBHOOK_QUEUE_NAME, WebhookDeliveryProcessor } from './webhooks/webhook-delivery.processor';
import { WebhookEnqueueScheduler } from './webhooks/webhook-enqueue.scheduler';
import { MIGRATION_QUEUE_NAME, MigrationProcessor } from './migration/migration.processor';
import { RewrapReconcileScheduler } from './rewrap/rewrap-reconcile.scheduler';
import { REWRAP_QUEUE_NAME, RewrapSlotProcessor } from './rewrap/rewrap-slot.processor';
import { TRANSPORT_KEY_CLEANUP_QUEUE, TransportKeyCleanupProcessor } from './transport-key-cleanup/transport-key-cleanup.processor';

/** The service name in logs and telemetry. */
export const WORKER_SERVICE = 'keybridge-worker';

@Module({})
export class WorkerModule {
  static register(pools: PoolConfig[]): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        PlatformConfigModule,
        LoggerModule.forRootAsync({
          inject: [AppConfig],
          useFactory: (config: AppConfig) => ({ pinoHttp: pinoOptions(WORKER_SERVICE, config.values.LOG_LEVEL) }),
        }),
        DatabaseModule,
        CqrsModule.forRoot(),
        HsmModule.forRoot(pools),
        LedgerModule,
        LedgerAuditModule,
        AuthModule,
        ByokModule,
        BullModule.forRootAsync({
          inject: [AppConfig],
          useFactory: (config: AppConfig) => ({ connection: redisConnectionOptions(config.values.REDIS_URL) }),
        }),
        BullModule.registerQueue({ name: HEALTH_QUEUE }),
        BullModule.registerQueue({ name: CHECKPOINT_QUEUE }),
        BullModule.registerQueue({ name: TRANSPORT_KEY_CLEANUP_QUEUE }),
        EscrowModule,
        BullModule.registerQueue({ name: REWRAP_QUEUE_NAME }),
        TransferModule,
        BullModule.registerQueue({ name: MIGRATION_QUEUE_NAME }),
        EventsModule,
        LifecycleModule,
        BullModule.registerQueue({ name: LIFECYCLE_QUEUE }),
        BullModule.registerQueue({ name: WEBHOOK_QUEUE_NAME }),
      ],
      providers: [
        HealthProbeProcessor,
        LedgerCheckpointProcessor,
        TransportKeyCleanupProcessor,
        RewrapSlotProcessor,
        RewrapReconcileScheduler,
        MigrationProcessor,
        MigrationReconcileScheduler,
        LifecycleProcessor,
        WebhookDeliveryProcessor,
        WebhookEnqueueScheduler,
        EscrowPurgeScheduler,
        JobProgressRepository,
        WorkerGauges,
      ],
    };
  }
}
