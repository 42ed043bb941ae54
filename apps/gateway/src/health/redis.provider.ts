import { OnApplicationShutdown, Provider } from '@nestjs/common';
import { AppConfig } from '@keybridge/platform';
import Redis from 'ioredis';

export const REDIS = Symbol('REDIS');

export const redisProvider: Provider = {
  provide: REDIS,
  inject: [AppConfig],
  useFactory: (config: AppConfig): Redis & OnApplicationShutdown => {
    const client = new Redis(config.values.REDIS_URL, { maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: false });
    client.on('error', () => undefined); // reported through /health/ready, not as unhandled events
    return Object.assign(client, { onApplicationShutdown: async () => void (await client.quit().catch(() => undefined)) });
  },
};
