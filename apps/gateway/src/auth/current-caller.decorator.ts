import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { GqlExecutionContext } from '@nestjs/graphql';
import { Caller } from '@keybridge/auth';
import { AuthenticatedRequest } from './authenticated.guard';

export const CurrentCaller = createParamDecorator((_: unknown, context: ExecutionContext): Caller => {
  const caller = GqlExecutionContext.create(context).getContext<{ req: AuthenticatedRequest }>().req.caller;
  if (!caller) throw new Error('CurrentCaller used on an unguarded resolver');
  return caller;
});
