import { randomUUID } from 'node:crypto';
import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { GqlExecutionContext } from '@nestjs/graphql';
import { trace } from '@opentelemetry/api';
import { Authenticator, Caller, callerContext } from '@keybridge/auth';
import { Request } from 'express';
import { presentedCertificate } from './client-certificate';

export interface AuthenticatedRequest extends Request {
  caller?: Caller;
}

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** Global guard: every GraphQL operation needs a principal. HTTP routes guard themselves. */
@Injectable()
export class AuthenticatedGuard implements CanActivate {
  constructor(private readonly authenticator: Authenticator) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType<string>() !== 'graphql') return true;
    const request = GqlExecutionContext.create(context).getContext<{ req: AuthenticatedRequest }>().req;
    if (!request.caller) {
      const principal = await this.authenticator.authenticate(request.headers.authorization, presentedCertificate(request.socket));
      // The request logger (pino-http) has already chosen the id the same way; use it so logs and ledger agree.
      const logged: unknown = (request as { id?: unknown }).id;
      const header = request.headers['x-request-id'];
      const requestId =
        typeof logged === 'string' && REQUEST_ID.test(logged) ? logged : typeof header === 'string' && REQUEST_ID.test(header) ? header : randomUUID();
      request.caller = callerContext(principal, requestId, trace.getActiveSpan()?.spanContext().traceId);
    }
    return true;
  }
}
