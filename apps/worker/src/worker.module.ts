import { BullModule } from '@nestjs/bullmq';
import { DynamicModule, Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { AuthModule } from '@keybridge/auth';
import { HsmModule, PoolConfig } from '@keybridge/hsm';
import { LedgerModule } from '@keybridge/ledger';
import { AppConfig, DatabaseModule, PlatformConfigModule, redisConnectionOptions } from '@keybridge/platform';
import { HEALTH_QUEUE, HealthProbeProcessor } from './health-probe/health-probe.processor';

@Module({})
export class WorkerModule {
  static register(pools: PoolConfig[]): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        PlatformConfigModule,
        DatabaseModule,
        CqrsModule.forRoot(),
        HsmModule.forRoot(pools),
        LedgerModule,
        AuthModule,
        BullModule.forRootAsync({
          inject: [AppConfig],
          useFactory: (config: AppConfig) => ({ connection: redisConnectionOptions(config.values.REDIS_URL) }),
        }),
        BullModule.registerQueue({ name: HEALTH_QUEUE }),
      ],
      providers: [HealthProbeProcessor],
    };
  }
}
