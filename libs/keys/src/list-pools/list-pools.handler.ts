import { Inject } from '@nestjs/common';
import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { HSM_PORT, HsmPort, PoolInfo } from '@keybridge/hsm';
import { ListPoolsQuery } from './list-pools.query';

@QueryHandler(ListPoolsQuery)
export class ListPoolsHandler implements IQueryHandler<ListPoolsQuery> {
  constructor(@Inject(HSM_PORT) private readonly hsm: HsmPort) {}

  async execute(): Promise<PoolInfo[]> {
    return this.hsm.pools();
  }
}
