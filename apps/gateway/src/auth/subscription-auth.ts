import { randomUUID } from 'node:crypto';
import { IncomingMessage } from 'node:http';
import { Authenticator, Caller, callerContext } from '@keybridge/auth';
import { presentedCertificate } from './client-certificate';

interface SubscriptionContext {
  connectionParams?: Readonly<Record<string, unknown>>;
  extra: unknown;
}

interface WithCaller {
  caller?: Caller;
}

/**
 * graphql-ws onConnect: a browser cannot set headers on a WebSocket, so the credential comes as the connection
 * parameter `Authorization: Bearer …` and is checked by the same Authenticator as HTTP, together with the client
 * certificate of the upgrade request's TLS connection. Refused → close 4403.
 */
export function authenticateSubscription(authenticator: Authenticator): (ctx: SubscriptionContext) => Promise<boolean> {
  return async (ctx) => {
    const params = ctx.connectionParams ?? {};
    const header = params.Authorization ?? params.authorization;
    try {
      const request = (ctx.extra as { request?: IncomingMessage }).request;
      const principal = await authenticator.authenticate(typeof header === 'string' ? header : undefined, presentedCertificate(request?.socket));
      (ctx.extra as WithCaller).caller = callerContext(principal, randomUUID());
      return true;
    } catch {
      return false;
    }
  };
}

/** GraphQL context for HTTP ({ req }) and for graphql-ws (a request-shaped object carrying the connection's caller). */
export function graphqlContext(arg: { req?: unknown; extra?: unknown }): { req: unknown } {
  if (arg.req) return { req: arg.req };
  return { req: { headers: {}, caller: (arg.extra as WithCaller | undefined)?.caller } };
}
