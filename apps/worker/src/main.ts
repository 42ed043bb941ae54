// First, before anything instrumented (pg, express, graphql, ioredis) is loaded.
import { startTelemetry } from '@keybridge/telemetry';
startTelemetry('keybridge-worker');

import 'reflect-metadata';
import { getQueueToken } from '@nestjs/bullmq';
import { NestFactory } from '@nestjs/core';
import { loadPoolsFile } from '@keybridge/hsm';
import { AppConfig, ConfigError } from '@keybridge/platform';
import { announce } from '@keybridge/telemetry';
import { Queue, QueueEvents } from 'bullmq';
import { Logger } from 'nestjs-pino';
import { HEALTH_QUEUE } from './health-probe/health-probe.processor';
import { WORKER_SERVICE, WorkerModule } from './worker.module';

/** The worker has no HTTP server: it consumes BullMQ queues and coordinates only through Postgres and Redis. */
async function bootstrap(): Promise<void> {
  const config = AppConfig.fromEnv();
  const app = await NestFactory.createApplicationContext(WorkerModule.register(loadPoolsFile(config.values.KEYBRIDGE_POOLS_FILE)), {
    bufferLogs: true,
  });
  // JSON lines (pino) for everything Nest and the libraries log; see libs/telemetry/src/logging.
  const logger = app.get(Logger);
  app.useLogger(logger);
  app.enableShutdownHooks();
  announce(WORKER_SERVICE, `keybridge worker ${process.pid}: consuming queues`);
  void announceThroughProbe(app.get<Queue>(getQueueToken(HEALTH_QUEUE)), logger);
}

/**
 * Sends one probe through the health queue and logs when a worker answered. Informational only: a slow answer
 * (a saturated machine, a missed event) must never stop a worker that is otherwise consuming its queues.
 */
async function announceThroughProbe(queue: Queue, logger: Logger): Promise<void> {
  const events = new QueueEvents(HEALTH_QUEUE, { connection: queue.opts.connection });
  try {
    await events.waitUntilReady();
    const job = await queue.add('probe', { sentAt: new Date().toISOString() }, { removeOnComplete: 100, removeOnFail: 100 });
    await job.waitUntilFinished(events, 60_000);
    logger.log(`keybridge worker ${process.pid}: health probe answered`, 'HealthProbe');
  } catch (error) {
    logger.warn(`keybridge worker ${process.pid}: health probe not answered yet (${error instanceof Error ? error.message : String(error)})`, 'HealthProbe');
  } finally {
    await events.close().catch(() => undefined);
  }
}

bootstrap().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
