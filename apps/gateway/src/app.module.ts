import { ApolloDriver, ApolloDriverConfig } from '@nestjs/apollo';
import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { CqrsModule } from '@nestjs/cqrs';
import { GraphQLModule } from '@nestjs/graphql';
import { Authenticator, AuthModule } from '@keybridge/auth';
import { ByokModule } from '@keybridge/byok';
import { EscrowModule } from '@keybridge/escrow';
import { TransferModule } from '@keybridge/transfer';
import { EventsModule } from '@keybridge/events';
import { LifecycleModule } from '@keybridge/lifecycle';
import { HsmModule, PoolConfig } from '@keybridge/hsm';
import { KeysModule } from '@keybridge/keys';
import { LedgerAuditModule, LedgerModule } from '@keybridge/ledger';
import { AppConfig, DatabaseModule, PlatformConfigModule } from '@keybridge/platform';
import { httpLogOptions } from '@keybridge/telemetry';
import { LoggerModule } from 'nestjs-pino';
import { AuthenticatedGuard } from './auth/authenticated.guard';
import { authenticateSubscription, graphqlContext } from './auth/subscription-auth';
import { DomainErrorFilter } from './errors/domain-error.filter';
import { redactInputValues } from './errors/redact-input-values';
import { ExplorerController } from './explorer/explorer.controller';
import './graphql/admin/register-enums';
import { AdminResolver } from './graphql/admin/admin.resolver';
import { ByokResolver } from './graphql/byok/byok.resolver';
import { TransferResolver } from './graphql/transfer/transfer.resolver';
import { LifecycleResolver } from './graphql/lifecycle/lifecycle.resolver';
import { BatchCryptoResolver } from './graphql/crypto/batch-crypto.resolver';
import { CryptoResolver } from './graphql/crypto/crypto.resolver';
import { EscrowResolver } from './graphql/escrow/escrow.resolver';
import { KeysResolver } from './graphql/keys/keys.resolver';
import { LedgerResolver } from './graphql/ledger/ledger.resolver';
import { PoolsResolver } from './graphql/pools/pools.resolver';
import { HealthController } from './health/health.controller';
import { redisProvider } from './health/redis.provider';
import { LedgerExportController } from './ledger/ledger-export.controller';
import { MetricsController } from './metrics/metrics.controller';

/** The service name in logs and telemetry. */
export const GATEWAY_SERVICE = 'keybridge-gateway';

@Module({})
export class AppModule {
  static register(pools: PoolConfig[]): DynamicModule {
    return {
      module: AppModule,
      imports: [
        PlatformConfigModule,
        LoggerModule.forRootAsync({
          inject: [AppConfig],
          useFactory: (config: AppConfig) => ({ pinoHttp: httpLogOptions(GATEWAY_SERVICE, config.values.LOG_LEVEL) }),
        }),
        DatabaseModule,
        CqrsModule.forRoot(),
        HsmModule.forRoot(pools),
        LedgerModule,
        LedgerAuditModule,
        AuthModule,
        KeysModule,
        ByokModule,
        EscrowModule,
        TransferModule,
        EventsModule,
        LifecycleModule,
        GraphQLModule.forRootAsync<ApolloDriverConfig>({
          driver: ApolloDriver,
          inject: [Authenticator],
          useFactory: (authenticator: Authenticator) => ({
            autoSchemaFile: true,
            sortSchema: true,
            path: '/graphql',
            playground: false,
            introspection: true,
            includeStacktraceInErrorResponses: false,
            formatError: redactInputValues,
            context: graphqlContext,
            subscriptions: { 'graphql-ws': { onConnect: authenticateSubscription(authenticator) } },
          }),
        }),
      ],
      controllers: [HealthController, ExplorerController, LedgerExportController, MetricsController],
      providers: [
        redisProvider,
        AdminResolver,
        KeysResolver,
        CryptoResolver,
        BatchCryptoResolver,
        PoolsResolver,
        ByokResolver,
        TransferResolver,
        LifecycleResolver,
        LedgerResolver,
        EscrowResolver,
        { provide: APP_GUARD, useClass: AuthenticatedGuard },
        { provide: APP_FILTER, useClass: DomainErrorFilter },
      ],
    };
  }
}
