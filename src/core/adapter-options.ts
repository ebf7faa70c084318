/**
 * Adapter options: checked once, at setup, where a bad value may throw (a `TypeError` naming the
 * option); the request path then only reads the clean copy, whose fields cannot throw.
 */
import { detectServerless } from './config.js';
import type { OpenInvocationOptions, RunInvocationOptions } from './invocation.js';
import type { BentoLabsSpanProcessor } from './processor.js';

/** Options shared by every adapter. */
export interface InvocationOptions {
  /** Longest time to wait for the flush after the handler settled. @default 2000 */
  flushTimeoutMillis?: number;
  /** Time kept free before the runtime's deadline; the flush never runs into it. @default 50 */
  safetyMarginMillis?: number;
  /** How long before the deadline the timeout guard ends open spans and flushes; `false` disables it. @default 500 */
  timeoutGuardMillis?: number | false;
  /**
   * A `BentoLabsSpanProcessor` on your own `TracerProvider`, flushed with the SDK's own spans at
   * the end of each invocation (only the spans started inside that invocation are waited for).
   * Any OpenTelemetry span processor works; others get `forceFlush()`.
   */
  processor?: FlushableProcessor;
}

/** What the `processor` option accepts: a `BentoLabsSpanProcessor`, or any span processor with `forceFlush()`. */
export type FlushableProcessor = BentoLabsSpanProcessor | { forceFlush(): Promise<void> };

/** Reads one option; a getter that throws becomes a setup-time `TypeError` naming the option. */
export function readOption(options: object, key: string, adapter: string): unknown {
  try {
    return (options as Record<string, unknown>)[key];
  } catch (error) {
    throw new TypeError(`${adapter}: reading option \`${key}\` threw: ${String(error)}`, { cause: error });
  }
}

/**
 * Checks adapter options at setup time (a `TypeError` for anything unusable) and returns a clean
 * copy of the invocation fields: adapters never spread the caller's object, whose other getters
 * could throw later, on the request path.
 */
export function checkInvocationOptions(options: InvocationOptions | undefined, adapter: string): InvocationOptions {
  if (options === undefined) return {};
  if (options === null || typeof options !== 'object')
    throw new TypeError(`${adapter}: options must be an object; got ${options === null ? 'null' : typeof options}.`);
  const clean: InvocationOptions = {};
  for (const key of ['flushTimeoutMillis', 'safetyMarginMillis'] as const) {
    const v = readOption(options, key, adapter);
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
      throw new TypeError(`${adapter}: \`${key}\` must be a number >= 0; got ${String(v)}.`);
    clean[key] = v;
  }
  const g = readOption(options, 'timeoutGuardMillis', adapter);
  if (g !== undefined && g !== false && (typeof g !== 'number' || !Number.isFinite(g) || g < 0))
    throw new TypeError(`${adapter}: \`timeoutGuardMillis\` must be a number >= 0 or false; got ${String(g)}.`);
  if (g !== undefined) clean.timeoutGuardMillis = g as number | false;
  const p = readOption(options, 'processor', adapter);
  if (p !== undefined) {
    if (p === null || typeof p !== 'object' || typeof (p as { forceFlush?: unknown }).forceFlush !== 'function')
      throw new TypeError(
        `${adapter}: \`processor\` must be a BentoLabsSpanProcessor (or a span processor with forceFlush()); ` +
          `got ${p === null ? 'null' : typeof p}.`,
      );
    clean.processor = p as FlushableProcessor;
  }
  return clean;
}

/**
 * Options of the adapters that run both on servers and on serverless platforms (Express, Next):
 * the checked invocation fields plus `flush`, the `serverless` option or, when it is not given,
 * `byDefault()` (Express: whether a serverless platform is detected). Read once at setup: the
 * platform does not change while the process runs.
 */
export function checkHybridOptions(
  options: (InvocationOptions & { serverless?: boolean }) | undefined,
  adapter: string,
  byDefault: () => boolean = () => detectServerless() !== undefined,
): OpenInvocationOptions {
  const clean = checkInvocationOptions(options, adapter);
  const forced = options === undefined ? undefined : readOption(options, 'serverless', adapter);
  if (forced !== undefined && typeof forced !== 'boolean')
    throw new TypeError(`${adapter}: \`serverless\` must be a boolean; got ${typeof forced}.`);
  return { ...clean, flush: (forced as boolean | undefined) ?? byDefault() };
}

/** `checkInvocationOptions` plus the fields only `runInvocation` callers pass. */
export function checkRunOptions(options: RunInvocationOptions): void {
  checkInvocationOptions(options, 'runInvocation()');
  const { attributes, deadline, flush: shouldFlush } = options;
  if (attributes !== undefined && (attributes === null || typeof attributes !== 'object'))
    throw new TypeError(
      `runInvocation(): \`attributes\` must be an object; got ${attributes === null ? 'null' : typeof attributes}.`,
    );
  // A deadline that is not a finite time would fire the timeout guard at once.
  if (deadline !== undefined && (typeof deadline !== 'number' || !Number.isFinite(deadline)))
    throw new TypeError(
      `runInvocation(): \`deadline\` must be epoch milliseconds; got ${typeof deadline === 'number' ? String(deadline) : typeof deadline}.`,
    );
  if (shouldFlush !== undefined && typeof shouldFlush !== 'boolean')
    throw new TypeError(`runInvocation(): \`flush\` must be a boolean; got ${typeof shouldFlush}.`);
}
