import { Args, Mutation, Resolver } from '@nestjs/graphql';
import { CommandBus } from '@nestjs/cqrs';
import { Caller } from '@keybridge/auth';
import { TransferKeyCommand } from '@keybridge/transfer';
import { CurrentCaller } from '../../auth/current-caller.decorator';
import { TransferKeyInput } from './transfer.input';
import { TransferKeyResultModel } from './transfer.model';

/** Cross-vault transfer, HSM to HSM. */
@Resolver()
export class TransferResolver {
  constructor(private readonly commands: CommandBus) {}

  @Mutation(() => TransferKeyResultModel, {
    description: 'Moves all (or the given) versions of an exportable key into another vault, HSM to HSM, verified before it returns. Permissions: transfer on the source, import on the target.',
  })
  async transferKey(@CurrentCaller() caller: Caller, @Args('input') input: TransferKeyInput): Promise<TransferKeyResultModel> {
    return TransferKeyResultModel.from(await this.commands.execute(new TransferKeyCommand(caller, input)));
  }
}
