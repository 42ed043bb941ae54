import { DynamicModule, Global, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { GrapheneHsmAdapter } from './graphene-hsm.adapter';
import { HSM_PORT, HsmPort } from './hsm.port';
import { PoolConfig } from './pool-config';

/** Provides HSM_PORT everywhere; the modules are finalised after every other shutdown hook has run. */
@Global()
@Module({})
export class HsmModule implements OnApplicationShutdown {
  constructor(@Inject(HSM_PORT) private readonly hsm: HsmPort) {}

  static forRoot(pools: PoolConfig[]): DynamicModule {
    return {
      module: HsmModule,
      global: true,
      providers: [{ provide: HSM_PORT, useFactory: (): Promise<HsmPort> => GrapheneHsmAdapter.open(pools) }],
      exports: [HSM_PORT],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.hsm.close();
  }
}
