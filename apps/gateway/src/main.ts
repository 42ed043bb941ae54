// First, before anything instrumented (pg, express, graphql, ioredis) is loaded.
import { startTelemetry } from '@keybridge/telemetry';
startTelemetry('keybridge-gateway');

import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { loadPoolsFile } from '@keybridge/hsm';
import { AppConfig, ConfigError } from '@keybridge/platform';
import { AppModule } from './app.module';

async function bootstrap(): Promise<void> {
  const config = AppConfig.fromEnv();
  const pools = loadPoolsFile(config.values.KEYBRIDGE_POOLS_FILE);
  const app = await NestFactory.create(AppModule.register(pools), {
    logger: config.values.LOG_LEVEL === 'debug' ? ['log', 'error', 'warn', 'debug'] : ['log', 'error', 'warn'],
  });
  app.enableShutdownHooks();
  await app.listen(config.values.PORT, config.values.HOST);
  console.log(`keybridge gateway: GraphQL at http://${config.values.HOST}:${config.values.PORT}/graphql`);
}

bootstrap().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
