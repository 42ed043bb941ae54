import { GraphQLFormattedError } from 'graphql';

/**
 * graphql-js quotes the offending value when a variable or argument has the wrong type ("Variable "$v" got invalid
 * value …; …"). Such a value may be key material, so the quote is cut before the error leaves the gateway.
 */
export function redactInputValues(error: GraphQLFormattedError): GraphQLFormattedError {
  const message = error.message
    .replace(/got invalid value [\s\S]*?(;|$)/, 'got an invalid value$1')
    .replace(/(cannot represent[^:]*): [\s\S]*$/, '$1');
  return message === error.message ? error : { ...error, message };
}
