import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppConfig } from '../config/app-config';

/** The application's Postgres connection (TypeORM over pg). Schema comes only from migrations/. */
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
        extra: { connectionTimeoutMillis: 5_000 },
      }),
    }),
  ],
})
export class DatabaseModule {}
