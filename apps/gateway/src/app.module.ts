import { ApolloDriver, ApolloDriverConfig } from '@nestjs/apollo';
import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { CqrsModule } from '@nestjs/cqrs';
import { GraphQLModule } from '@nestjs/graphql';
import { AuthModule } from '@keybridge/auth';
import { HsmModule, PoolConfig } from '@keybridge/hsm';
import { KeysModule } from '@keybridge/keys';
import { LedgerModule } from '@keybridge/ledger';
import { DatabaseModule, PlatformConfigModule } from '@keybridge/platform';
import { AuthenticatedGuard } from './auth/authenticated.guard';
import { DomainErrorFilter } from './errors/domain-error.filter';
import { ExplorerController } from './explorer/explorer.controller';
import './graphql/admin/register-enums';
import { AdminResolver } from './graphql/admin/admin.resolver';
import { CryptoResolver } from './graphql/crypto/crypto.resolver';
import { KeysResolver } from './graphql/keys/keys.resolver';
import { PoolsResolver } from './graphql/pools/pools.resolver';
import { HealthController } from './health/health.controller';
import { redisProvider } from './health/redis.provider';

@Module({})
export class AppModule {
  static register(pools: PoolConfig[]): DynamicModule {
    return {
      module: AppModule,
      imports: [
        PlatformConfigModule,
        DatabaseModule,
        CqrsModule.forRoot(),
        HsmModule.forRoot(pools),
        LedgerModule,
        AuthModule,
        KeysModule,
        GraphQLModule.forRoot<ApolloDriverConfig>({
          driver: ApolloDriver,
          autoSchemaFile: true,
          sortSchema: true,
          path: '/graphql',
          playground: false,
          introspection: true,
          includeStacktraceInErrorResponses: false,
          context: ({ req }: { req: unknown }) => ({ req }),
        }),
      ],
      controllers: [HealthController, ExplorerController],
      providers: [
        redisProvider,
        AdminResolver,
        KeysResolver,
        CryptoResolver,
        PoolsResolver,
        { provide: APP_GUARD, useClass: AuthenticatedGuard },
        { provide: APP_FILTER, useClass: DomainErrorFilter },
      ],
    };
  }
}
