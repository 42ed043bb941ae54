import { Query, Resolver } from '@nestjs/graphql';
import { QueryBus } from '@nestjs/cqrs';
import { ListPoolsQuery } from '@keybridge/keys';
import { PoolModel } from './pool.model';

@Resolver()
export class PoolsResolver {
  constructor(private readonly queries: QueryBus) {}

  @Query(() => [PoolModel], { description: 'Configured HSM pools and their capabilities' })
  pools(): Promise<PoolModel[]> {
    return this.queries.execute(new ListPoolsQuery());
  }
}
