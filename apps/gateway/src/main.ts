// First, before anything instrumented (pg, express, graphql, ioredis) is loaded.
import { startTelemetry } from '@keybridge/telemetry';
startTelemetry('keybridge-gateway', { servesMetricsRoute: true });

import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { loadPoolsFile } from '@keybridge/hsm';
import { AppConfig, ConfigError } from '@keybridge/platform';
import { announce, httpLogOptions } from '@keybridge/telemetry';
import { Logger } from 'nestjs-pino';
import { pinoHttp } from 'pino-http';
import { mountQueuesBoard, QUEUES_BOARD_PATH } from './admin/queues-board';
import { AppModule, GATEWAY_SERVICE } from './app.module';
import { GatewayTlsConfig } from './tls/gateway-tls.config';

/** Largest GraphQL request body (express.json limit). */
const GRAPHQL_BODY_LIMIT = '1mb';

async function bootstrap(): Promise<void> {
  const config = AppConfig.fromEnv();
  const tls = GatewayTlsConfig.fromEnv();
  const pools = loadPoolsFile(config.values.KEYBRIDGE_POOLS_FILE);
  const app = await NestFactory.create<NestExpressApplication>(AppModule.register(pools), {
    bufferLogs: true,
    ...(tls.httpsOptions ? { httpsOptions: tls.httpsOptions } : {}),
  });
  // JSON lines (pino) for everything Nest and the libraries log; see libs/telemetry/src/logging.
  app.useLogger(app.get(Logger));
  // Above every field limit (64 KiB decoded inputs, 64 KiB BYOK blobs), so oversized fields get their typed error
  // instead of an untyped HTTP 413 from the body parser.
  app.useBodyParser('json', { limit: GRAPHQL_BODY_LIMIT });
  app.enableShutdownHooks();
  // The board is mounted ahead of Nest's middleware, so it gets a request logger of its own (same options).
  app.use(QUEUES_BOARD_PATH, pinoHttp(httpLogOptions(GATEWAY_SERVICE, config.values.LOG_LEVEL)));
  mountQueuesBoard(app);
  await app.listen(config.values.PORT, config.values.HOST);
  const clientAuth = tls.httpsOptions ? ` (client certificates: ${tls.clientAuth})` : '';
  announce(GATEWAY_SERVICE, `keybridge gateway: GraphQL at ${tls.scheme}://${config.values.HOST}:${config.values.PORT}/graphql${clientAuth}`);
}

bootstrap().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
