import { ArgumentsHost, Catch, Logger } from '@nestjs/common';
import { GqlExceptionFilter } from '@nestjs/graphql';
import { trace } from '@opentelemetry/api';
import { asOverload, DomainError } from '@keybridge/platform';
import { GraphQLError } from 'graphql';
import { DomainErrorCode, graphqlErrorCode } from './graphql-error-code';

/**
 * The one place errors become GraphQL errors. Domain errors keep their message (written never to carry secrets)
 * and get a typed `extensions.code`; anything else becomes INTERNAL with the trace id, its details only in the log.
 */
@Catch()
export class DomainErrorFilter implements GqlExceptionFilter {
  private readonly logger = new Logger('GraphQL');

  catch(thrown: unknown, _host: ArgumentsHost): GraphQLError {
    if (thrown instanceof GraphQLError) return thrown;
    // a pool timeout outside an audited operation (e.g. authentication) is overload too
    const exception = asOverload(thrown) ?? thrown;
    if (exception instanceof DomainError) {
      const field = exception.details.field;
      return new GraphQLError(exception.message, {
        extensions: { code: graphqlErrorCode(exception.code as DomainErrorCode), ...(field ? { field } : {}) },
      });
    }
    const traceId = trace.getActiveSpan()?.spanContext().traceId;
    this.logger.error(`unexpected error (trace ${traceId ?? 'none'}): ${exception instanceof Error ? (exception.stack ?? exception.message) : String(exception)}`);
    return new GraphQLError('internal error', { extensions: { code: 'INTERNAL', traceId } });
  }
}
