// First, before anything instrumented (pg, express, graphql, ioredis) is loaded.
import { startTelemetry } from '@keybridge/telemetry';
startTelemetry('keybridge-gateway');

import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { loadPoolsFile } from '@keybridge/hsm';
import { AppConfig, ConfigError } from '@keybridge/platform';
import { mountQueuesBoard } from './admin/queues-board';
import { AppModule } from './app.module';
import { GatewayTlsConfig } from './tls/gateway-tls.config';

/** Largest GraphQL request body (express.json limit). */
const GRAPHQL_BODY_LIMIT = '1mb';

async function bootstrap(): Promise<void> {
  const config = AppConfig.fromEnv();
  const tls = GatewayTlsConfig.fromEnv();
  const pools = loadPoolsFile(config.values.KEYBRIDGE_POOLS_FILE);
  const app = await NestFactory.create<NestExpressApplication>(AppModule.register(pools), {
    logger: config.values.LOG_LEVEL === 'debug' ? ['log', 'error', 'warn', 'debug'] : ['log', 'error', 'warn'],
    ...(tls.httpsOptions ? { httpsOptions: tls.httpsOptions } : {}),
  });
  // Above every field limit (64 KiB decoded inputs, 64 KiB BYOK blobs), so oversized fields get their typed error
  // instead of an untyped HTTP 413 from the body parser.
  app.useBodyParser('json', { limit: GRAPHQL_BODY_LIMIT });
  app.enableShutdownHooks();
  mountQueuesBoard(app);
  await app.listen(config.values.PORT, config.values.HOST);
  const clientAuth = tls.httpsOptions ? ` (client certificates: ${tls.clientAuth})` : '';
  console.log(`keybridge gateway: GraphQL at ${tls.scheme}://${config.values.HOST}:${config.values.PORT}/graphql${clientAuth}`);
}

bootstrap().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
