/**
 * `runInvocation`: the one piece of logic every adapter shares. It gives an invocation its own
 * async context (so two overlapping requests never mix spans), stamps its attributes on every
 * span recorded inside it, ends what is still open shortly before the runtime's deadline, and
 * flushes before the runtime can freeze the process. Adapters only translate their framework's
 * lifecycle into one call of this function.
 */
import type { Attributes } from '@opentelemetry/api';
import { flush, peekClient } from './client.js';
import { currentStore, storage, type Invocation } from './context.js';
import { log } from './logger.js';
import type { FlushResult } from './processor.js';
import { closeSpan, closeTimedOut } from './record.js';

/** Options shared by every adapter. */
export interface InvocationOptions {
  /** Longest time to wait for the flush after the handler settled. @default 2000 */
  flushTimeoutMillis?: number;
  /** Time kept free before the runtime's deadline; the flush never runs into it. @default 50 */
  safetyMarginMillis?: number;
  /** How long before the deadline the timeout guard ends open spans and flushes; `false` disables it. @default 500 */
  timeoutGuardMillis?: number | false;
}

export interface RunInvocationOptions extends InvocationOptions {
  /** Attributes for every span recorded during the invocation. */
  attributes?: Attributes;
  /** Epoch milliseconds at which the runtime will stop the process (Lambda's deadline). */
  deadline?: number;
  /** Flush after `fn` settles. `false` for long-running servers. @default true */
  flush?: boolean;
}

export const DEFAULT_FLUSH_TIMEOUT_MILLIS = 2000;
const DEFAULT_SAFETY_MARGIN_MILLIS = 50;
const DEFAULT_GUARD_MILLIS = 500;

/** Throws a `TypeError` at setup time for adapter options it cannot use. */
export function checkInvocationOptions(options: InvocationOptions | undefined, adapter: string): void {
  if (options === undefined) return;
  if (options === null || typeof options !== 'object') throw new TypeError(`${adapter}: options must be an object; got ${options === null ? 'null' : typeof options}.`);
  for (const key of ['flushTimeoutMillis', 'safetyMarginMillis'] as const) {
    const v = options[key];
    if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v) || v < 0)) throw new TypeError(`${adapter}: \`${key}\` must be a number >= 0; got ${String(v)}.`);
  }
  const g = options.timeoutGuardMillis;
  if (g !== undefined && g !== false && (typeof g !== 'number' || !Number.isFinite(g) || g < 0)) throw new TypeError(`${adapter}: \`timeoutGuardMillis\` must be a number >= 0 or false; got ${String(g)}.`);
}

/** Whether the caller already runs inside an invocation (stacked adapters flush only once). */
export function insideInvocation(): boolean {
  return currentStore()?.invocation !== undefined;
}

/** Flushes within what is left before `deadline`; never throws, logs what it could not deliver. */
export async function flushBefore(deadline: number | undefined, options: InvocationOptions): Promise<FlushResult | undefined> {
  if (!peekClient()) return undefined;
  const margin = options.safetyMarginMillis ?? DEFAULT_SAFETY_MARGIN_MILLIS;
  let budget = options.flushTimeoutMillis ?? DEFAULT_FLUSH_TIMEOUT_MILLIS;
  if (deadline !== undefined) budget = Math.min(budget, deadline - Date.now() - margin);
  if (budget <= 0) {
    log.warn('No time left before the deadline to flush; spans stay queued and are sent on the next invocation if the process is reused.');
    return undefined;
  }
  const result = await flush({ timeoutMillis: budget });
  if (!result.ok) log.warn(`Flush before freeze incomplete: ${result.exported} exported, ${result.dropped} dropped (${result.error ?? 'unknown'}).`);
  return result;
}

function endOpen(invocation: Invocation, close: typeof closeSpan): number {
  // Innermost first, so trajectories end after the spans opened inside them.
  const open = [...invocation.openSpans].reverse();
  for (const state of open) close(state);
  return open.length;
}

/**
 * Runs `fn` as one invocation: its own context and attributes, a timeout guard before `deadline`,
 * and a flush after it settles. Returns or rethrows `fn`'s own result unchanged. Nested calls
 * (stacked adapters) run `fn` directly, so an invocation flushes exactly once.
 * @example
 * export const handler = (event, context) =>
 *   runInvocation(() => answer(event), { deadline: Date.now() + context.getRemainingTimeInMillis() });
 */
export async function runInvocation<T>(fn: () => T | Promise<T>, options: RunInvocationOptions = {}): Promise<T> {
  if (insideInvocation()) return fn();
  const invocation: Invocation = { attributes: options.attributes ?? {}, openSpans: new Set() };
  const { deadline } = options;
  const shouldFlush = options.flush ?? true;
  const guardMillis = options.timeoutGuardMillis ?? DEFAULT_GUARD_MILLIS;
  let guard: NodeJS.Timeout | undefined;
  if (shouldFlush && deadline !== undefined && guardMillis !== false) {
    guard = setTimeout(() => {
      const ended = endOpen(invocation, closeTimedOut);
      log.warn(`Invocation is about to time out: ended ${ended} open span(s) as timed_out and flushing.`);
      void flushBefore(deadline, options);
    }, Math.max(0, deadline - guardMillis - Date.now()));
  }
  try {
    return await storage.run({ ...currentStore(), invocation }, fn);
  } finally {
    clearTimeout(guard);
    if (shouldFlush) {
      const left = endOpen(invocation, (s) => {
        s.span.setAttribute('bentolabs.unfinished', true);
        closeSpan(s);
      });
      if (left > 0) log.warn(`${left} span(s) were still open when the invocation ended; they were ended so they are not lost at the freeze.`);
      await flushBefore(deadline, options);
    }
  }
}
