import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { ChangeFeed } from '../cache/change-feed';
import { installConnectionGuard } from './connection-guard';

const CONNECTION_GUARD = Symbol('CONNECTION_GUARD');

/**
 * The application's Postgres connection (TypeORM over pg; schema only from migrations/), its nested-connection guard,
 * and the change feed that keeps in-process caches honest.
 */
@Global()
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        type: 'postgres' as const,
        url: config.values.DATABASE_URL,
        synchronize: false,
        migrationsRun: false,
        entities: [],
        poolSize: config.values.KEYBRIDGE_DB_POOL_SIZE,
        applicationName: 'keybridge',
        extra: { connectionTimeoutMillis: config.values.KEYBRIDGE_DB_ACQUIRE_TIMEOUT_MS },
      }),
    }),
  ],
  providers: [
    ChangeFeed,
    {
      provide: CONNECTION_GUARD,
      inject: [DataSource, AppConfig],
      useFactory: (dataSource: DataSource, config: AppConfig) => installConnectionGuard(dataSource, config.values.KEYBRIDGE_DB_GUARD),
    },
  ],
  exports: [ChangeFeed],
})
export class DatabaseModule {}
