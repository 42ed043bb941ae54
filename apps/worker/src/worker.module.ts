import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { AppConfig, PlatformConfigModule, redisConnectionOptions } from '@keybridge/platform';
import { HEALTH_QUEUE, HealthProbeProcessor } from './health-probe/health-probe.processor';

@Module({
  imports: [
    PlatformConfigModule,
    BullModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({ connection: redisConnectionOptions(config.values.REDIS_URL) }),
    }),
    BullModule.registerQueue({ name: HEALTH_QUEUE }),
  ],
  providers: [HealthProbeProcessor],
})
export class WorkerModule {}
