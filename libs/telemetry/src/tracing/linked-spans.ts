import { Attributes, context, propagation, ROOT_CONTEXT, trace } from '@opentelemetry/api';

/** W3C traceparent: version-traceid-spanid-flags. */
export const TRACE_PARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

/**
 * The W3C traceparent of the active span (the request), when tracing is on: work queued for later (a job, a webhook
 * delivery, a migration) stores it with its rows, so the spans of that work can link to the request that caused it.
 */
export function currentTraceParent(): string | null {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent && TRACE_PARENT.test(carrier.traceparent) ? carrier.traceparent : null;
}

/**
 * Runs queued work in a root span of its own (its HSM, Postgres and HTTP calls are children) linked to the request
 * that caused it: the stored traceparent, so the link survives re-queues, retries and crashed workers.
 */
export function inLinkedSpan<T>(tracerName: string, name: string, traceParent: string | null, attributes: Attributes, body: () => Promise<T>): Promise<T> {
  const linked = traceParent ? trace.getSpanContext(propagation.extract(ROOT_CONTEXT, { traceparent: traceParent })) : undefined;
  return trace.getTracer(tracerName).startActiveSpan(name, { root: true, links: linked ? [{ context: linked }] : [], attributes }, async (span) => {
    try {
      return await body();
    } finally {
      span.end();
    }
  });
}
