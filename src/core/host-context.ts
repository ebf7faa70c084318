/**
 * The SDK's own I/O (exports, the Lambda extension's requests) runs with tracing suppressed in the
 * *host's* OpenTelemetry context, so a host's HTTP instrumentation neither records it as a span of
 * its trace nor injects its `traceparent` into our requests.
 *
 * The host's context manager is read from the slot every 1.x copy of `@opentelemetry/api` shares
 * (`Symbol.for('opentelemetry.js.api.1')`), and the suppression key is OpenTelemetry's own
 * (`createContextKey` is `Symbol.for(description)`). Going through the API's `context` object
 * instead would put its diagnostics logger and version checks (~4 KB) into every bundle.
 */
import type { Context, ContextManager } from '@opentelemetry/api';

const API_SLOT = Symbol.for('opentelemetry.js.api.1');
const SUPPRESS_TRACING = Symbol.for('OpenTelemetry SDK Context Key SUPPRESS_TRACING');

function hostContextManager(): ContextManager | undefined {
  try {
    const api = (globalThis as Record<symbol, { context?: Partial<ContextManager> } | undefined>)[API_SLOT];
    const manager = api?.context;
    return typeof manager?.with === 'function' && typeof manager.active === 'function'
      ? (manager as ContextManager)
      : undefined;
  } catch {
    return undefined;
  }
}

/** Runs `fn` with tracing suppressed in the host's context; without a host context manager, as is. */
export function withoutHostTracing<T>(fn: () => T): T {
  const manager = hostContextManager();
  if (!manager) return fn();
  let suppressed: Context;
  try {
    suppressed = manager.active().setValue(SUPPRESS_TRACING, true);
  } catch {
    return fn();
  }
  return manager.with(suppressed, fn);
}
