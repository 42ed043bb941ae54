import { Writable } from 'node:stream';
import pino from 'pino';
import { pinoOptions, REDACT_CENSOR, REDACTED_FIELDS, redactUrl } from './log-options';

/** A pino logger with our options writing JSON lines into an array. */
function capture(): { logger: pino.Logger; lines: () => Array<Record<string, unknown>>; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  const logger = pino(pinoOptions('keybridge-test', 'debug'), stream);
  const text = (): string => chunks.join('');
  return { logger, text, lines: () => text().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>) };
}

const SECRET = 'c2VjcmV0LWJ5dGVzLXRoYXQtbXVzdC1ub3QtbGVhaw';

describe('log options', () => {
  it('writes JSON lines with a level word, ISO time and the service', () => {
    const { logger, lines } = capture();
    logger.info({ context: 'Test' }, 'hello');
    const [line] = lines();
    expect(line).toMatchObject({ level: 'info', service: 'keybridge-test', msg: 'hello', context: 'Test' });
    expect(new Date(line.time as string).toISOString()).toBe(line.time);
    expect(line).not.toHaveProperty('trace_id'); // no tracer provider in unit tests
  });

  it.each(REDACTED_FIELDS.map((f) => [f]))('redacts %s at the top and nested up to four levels', (field) => {
    const { logger, text } = capture();
    logger.info({ [field]: SECRET });
    logger.info({ a: { [field]: SECRET } });
    logger.info({ a: { b: { c: { d: { [field]: SECRET } } } } });
    expect(text()).not.toContain(SECRET);
    expect(text().split(REDACT_CENSOR).length - 1).toBe(3);
  });

  it('redacts GraphQL variables and request bodies whole, and headers carrying credentials', () => {
    const { logger, text } = capture();
    logger.info({ req: { body: { query: 'mutation', variables: { p: SECRET } }, headers: { authorization: `Bearer ${SECRET}`, cookie: SECRET } } });
    logger.info({ graphql: { variables: { nested: [SECRET] } } });
    logger.info({ res: { headers: { 'set-cookie': SECRET } } });
    expect(text()).not.toContain(SECRET);
  });

  it.each([
    ['/admin/queues?token=abc', '/admin/queues?token=[REDACTED]'],
    ['/graphql', '/graphql'],
    ['/x?a=1&b=2', '/x?a=[REDACTED]&b=[REDACTED]'],
    ['/x?%3Cweird%3E=1', '/x?[REDACTED]'],
    [undefined, undefined],
  ])('keeps query parameter names but not values: %s', (url, expected) => {
    expect(redactUrl(url)).toBe(expected);
  });
});
