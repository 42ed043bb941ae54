import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isSpanContextValid, trace } from '@opentelemetry/api';
import type { LoggerOptions } from 'pino';
import type { Options as HttpLogOptions } from 'pino-http';

/*
 * Only types come from pino here: this module is loaded with startTelemetry, before the SDK's instrumentations
 * are registered, and pino must be loaded after them to be instrumented.
 */

/**
 * Field names that may carry key bytes, tokens, PINs, blobs or connection secrets, wherever they appear in a
 * log record (up to REDACT_DEPTH levels down). GraphQL variables and request bodies are redacted whole.
 */
export const REDACTED_FIELDS = [
  // credentials
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-api-key',
  'token',
  'accessToken',
  'apiToken',
  'refreshToken',
  'password',
  'passphrase',
  'secret',
  'clientSecret',
  'pin',
  'soPin',
  'userPin',
  'DATABASE_URL',
  'DATABASE_MIGRATION_URL',
  'REDIS_URL',
  'connectionString',
  // key material and cryptographic inputs and outputs
  'plaintext',
  'value',
  'blob',
  'wrapped',
  'wrappedKey',
  'privateKey',
  'secretKey',
  'keyMaterial',
  'ciphertext',
  'tag',
  'iv',
  'aad',
  'digest',
  'signature',
  'shares',
  'share',
  'seed',
  'd',
  'p',
  'q',
  'dp',
  'dq',
  'qi',
  'k',
  // whole documents
  'variables',
  'body',
  'payload',
] as const;

/** How deep below the top of a log record a redacted field is found. */
const REDACT_DEPTH = 4;
export const REDACT_CENSOR = '[REDACTED]';

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/** pino `redact` paths: every field of REDACTED_FIELDS at the top and under 1..REDACT_DEPTH wildcard levels. */
export function redactPaths(): string[] {
  const paths: string[] = [];
  for (let depth = 0; depth <= REDACT_DEPTH; depth++) {
    const prefix = '*.'.repeat(depth);
    for (const field of REDACTED_FIELDS) {
      paths.push(IDENTIFIER.test(field) ? `${prefix}${field}` : `${prefix.replace(/\.$/, '')}[${JSON.stringify(field)}]`);
    }
  }
  return paths;
}

/** Query strings keep their parameter names, never their values (`/admin/queues?token=` carries an API token). */
export function redactUrl(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  const q = url.indexOf('?');
  if (q < 0) return url;
  const names = url
    .slice(q + 1)
    .split('&')
    .filter(Boolean)
    .map((pair) => {
      const name = pair.split('=')[0];
      return /^[\w.-]{1,64}$/.test(name) ? `${name}=${REDACT_CENSOR}` : REDACT_CENSOR;
    });
  return `${url.slice(0, q)}?${names.join('&')}`;
}

/** The active span's ids, so a log line joins its trace (absent without a tracer provider or outside a span). */
export function traceFields(): { trace_id?: string; span_id?: string } {
  const context = trace.getActiveSpan()?.spanContext();
  return context && isSpanContextValid(context) ? { trace_id: context.traceId, span_id: context.spanId } : {};
}

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** JSON lines on stdout: level as a word, ISO time, service, trace ids; redaction as above. */
export function pinoOptions(service: string, level: LogLevel): LoggerOptions {
  return {
    level,
    base: { service, pid: process.pid, hostname: hostname() },
    timestamp: () => `,"time":"${new Date().toISOString()}"`,
    formatters: { level: (label) => ({ level: label }) },
    mixin: traceFields,
    redact: { paths: redactPaths(), censor: REDACT_CENSOR },
  };
}

/** What a request log shows of the request: no body, no credentials, no query values. */
const LOGGED_REQUEST_HEADERS = ['host', 'user-agent', 'content-type', 'content-length', 'x-forwarded-for', 'x-request-id'];

interface SerializedRequest {
  method?: string;
  url?: string;
  headers?: Record<string, unknown>;
  remoteAddress?: string;
  remotePort?: number;
}

function serializeRequest(req: SerializedRequest): Record<string, unknown> {
  const headers: Record<string, unknown> = {};
  for (const name of LOGGED_REQUEST_HEADERS) if (req.headers?.[name] !== undefined) headers[name] = req.headers[name];
  return { method: req.method, url: redactUrl(req.url), headers, remoteAddress: req.remoteAddress, remotePort: req.remotePort };
}

function serializeResponse(res: { statusCode?: number }): Record<string, unknown> {
  return { statusCode: res.statusCode };
}

export const REQUEST_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

/** The client's x-request-id when it is a plain token, a fresh UUID otherwise; echoed in the response. */
export function requestIdOf(req: IncomingMessage): string {
  const header = req.headers['x-request-id'];
  return typeof header === 'string' && REQUEST_ID_PATTERN.test(header) ? header : randomUUID();
}

/** Paths polled by probes and scrapers: logged only when they fail. */
const QUIET_PATHS = /^\/(?:health(?:\/|$|\?)|metrics(?:$|\?))/;

/** pino-http for the gateway: one line per request with request id, principal id, status and time. */
export function httpLogOptions(service: string, level: LogLevel): HttpLogOptions {
  return {
    ...pinoOptions(service, level),
    genReqId: (req: IncomingMessage, res: ServerResponse) => {
      const id = requestIdOf(req);
      res.setHeader('x-request-id', id);
      return id;
    },
    // Other loggers in the request get only the id; the full request is on the completion line.
    quietReqLogger: true,
    customAttributeKeys: { reqId: 'request_id' },
    serializers: { req: serializeRequest, res: serializeResponse },
    // The guard sets req.caller once the principal is authenticated; known by the time the response finishes.
    customProps: (req: IncomingMessage) => {
      const principalId = (req as IncomingMessage & { caller?: { principalId?: string } }).caller?.principalId;
      return principalId ? { principal_id: principalId } : {};
    },
    customLogLevel: (req: IncomingMessage, res: ServerResponse, error?: Error) => {
      if (error || res.statusCode >= 500) return 'error';
      if (QUIET_PATHS.test(req.url ?? '')) return 'silent';
      return res.statusCode >= 400 ? 'warn' : 'info';
    },
  };
}

/**
 * A start-up line that runners and tests wait for ("GraphQL at …", "consuming queues"): written whatever
 * LOG_LEVEL says, as a JSON line shaped like the logger's.
 */
export function announce(service: string, msg: string): void {
  process.stdout.write(`${JSON.stringify({ level: 'info', time: new Date().toISOString(), service, pid: process.pid, hostname: hostname(), msg })}\n`);
}
