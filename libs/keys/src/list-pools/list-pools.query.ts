import { Query } from '@nestjs/cqrs';
import { PoolInfo } from '@keybridge/hsm';

/** Configured HSM pools and what each module can do (capability data from libs/hsm). */
export class ListPoolsQuery extends Query<PoolInfo[]> {}
