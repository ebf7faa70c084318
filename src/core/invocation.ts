/**
 * `runInvocation`: the one piece of logic every adapter shares. It gives an invocation its own
 * async context (so two overlapping requests never mix spans), stamps its attributes on every
 * span recorded inside it, ends what is still open shortly before the runtime's deadline, and
 * flushes before the runtime can freeze the process. Adapters only translate their framework's
 * lifecycle into one call of this function, or, where the lifecycle is not one callback (Middy's
 * before/after, an Express response that ends later), into `openInvocation()` and `close()`, the
 * same two halves `runInvocation` is built from.
 */
import type { Attributes } from '@opentelemetry/api';
import { checkRunOptions, type InvocationOptions } from './adapter-options.js';
import { peekClient } from './client.js';
import { currentStore, liveInvocation, storage, type Invocation, type Store } from './context.js';
import { log } from './logger.js';
import { flushScope } from './flush-scope.js';
import type { FlushResult } from './processor.js';
import { closeSpan, closeTimedOut, recordError } from './record.js';
import { epochNow, realClearTimeout, realSetTimeout, toRealDeadline } from './timers.js';

export type { InvocationOptions } from './adapter-options.js';

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

/**
 * The invocation of this async context while it is open. Adapters that enter an invocation for
 * the rest of an async context (Middy's before/after) leave it behind in contexts that outlive
 * it, e.g. the runtime's loop that calls the next invocation, so a closed one does not count.
 */
function enclosing(): LiveInvocation | undefined {
  return liveInvocation(currentStore()) as LiveInvocation | undefined;
}

/** Whether the caller already runs inside an open invocation (stacked adapters flush only once). */
export function insideInvocation(): boolean {
  return enclosing() !== undefined;
}

/**
 * Flushes within what is left before `deadline` (epoch ms on the real clock, see timers.ts); never
 * throws, logs what it could not deliver. With `scope` (an invocation), only that invocation's spans
 * are waited for and reported.
 */
export async function flushBefore(
  deadline: number | undefined,
  options: InvocationOptions,
  scope?: object,
): Promise<FlushResult | undefined> {
  if (!peekClient() && !options.processor) return undefined;
  const margin = options.safetyMarginMillis ?? DEFAULT_SAFETY_MARGIN_MILLIS;
  let budget = options.flushTimeoutMillis ?? DEFAULT_FLUSH_TIMEOUT_MILLIS;
  if (deadline !== undefined) budget = Math.min(budget, deadline - epochNow() - margin);
  if (budget <= 0) {
    log.warn(
      'No time left before the deadline to flush; spans stay queued and are sent on the next invocation if the process is reused.',
    );
    return undefined;
  }
  const result = await flushScope(scope, options.processor, budget);
  if (result && !result.ok)
    log.warn(
      `Flush before freeze incomplete: ${result.exported} exported, ${result.dropped} dropped (${result.error ?? 'unknown'}).`,
    );
  return result;
}

function endOpen(invocation: Invocation, close: typeof closeSpan): number {
  // Innermost first, so trajectories end after the spans opened inside them.
  const open = [...invocation.openSpans].reverse();
  for (const state of open) close(state);
  return open.length;
}

interface LiveInvocation extends Invocation {
  closed: boolean;
  /** Opened with `enter()` rather than around a callback; see `OpenInvocationOptions.entered`. */
  readonly entered: boolean;
}

export interface OpenInvocationOptions extends RunInvocationOptions {
  /**
   * The adapter will call `enter()` (a before/after lifecycle) instead of `run()`. Such an
   * invocation only nests inside one opened around a callback: another entered invocation found
   * in this context was left behind by a sibling request started in the same tick, not an outer one.
   */
  entered?: boolean;
}

/** An invocation opened by `openInvocation()`, for adapters whose lifecycle is not one callback. */
export interface OpenInvocation {
  /** Runs `fn` inside the invocation's async context (Express's `next`). */
  run<T>(fn: () => T): T;
  /** Puts the rest of the current execution, and what it schedules, inside the invocation (Middy's `before`). */
  enter(): void;
  /** Whether the current async context belongs to this invocation. */
  readonly active: boolean;
  /** Whether `close()` was called. */
  readonly closed: boolean;
  /** Records `error` on the spans this invocation still has open and ends them, innermost first. */
  fail(error: unknown): void;
  /** Stops the guard, ends what is still open and flushes (when flushing). Idempotent; never rejects. */
  close(): Promise<FlushResult | undefined>;
  /** `close()` without the flush: for adapters that deliver at another moment (after the response). */
  end(): void;
}

/**
 * Opens an invocation: its own context and attributes, and a timeout guard before `deadline`.
 * Returns `undefined` inside an open invocation, so stacked adapters flush exactly once.
 * `runInvocation` is this plus `run` and `close` around one callback.
 * @example
 * const invocation = openInvocation({ flush: true });
 * invocation?.enter();
 * // ... later, when the framework says the request is done:
 * await invocation?.close();
 */
export function openInvocation(options: OpenInvocationOptions = {}): OpenInvocation | undefined {
  const outer = enclosing();
  if (outer && !(options.entered && outer.entered)) return undefined;
  return new InvocationHandle(options);
}

// A class, not an object literal with getters and closures: Express opens one per request, and
// the literal cost several microseconds each.
class InvocationHandle implements OpenInvocation {
  readonly #invocation: LiveInvocation;
  readonly #store: Store;
  readonly #guard: NodeJS.Timeout | undefined;
  /** `options.deadline` on the real clock. */
  readonly #deadline: number | undefined;
  #closing: Promise<FlushResult | undefined> | undefined;

  readonly #options: OpenInvocationOptions;

  constructor(options: OpenInvocationOptions) {
    this.#options = options;
    const invocation: LiveInvocation = {
      attributes: options.attributes ?? {},
      openSpans: new Set(),
      closed: false,
      entered: options.entered === true,
    };
    this.#invocation = invocation;
    this.#store = { ...currentStore(), invocation };
    // The caller computed `deadline` with its own clock (Date.now(), which a test's fake timers
    // may freeze); from here on the time it leaves is measured on the real one.
    const deadline = options.deadline === undefined ? undefined : toRealDeadline(options.deadline);
    this.#deadline = deadline;
    const guardMillis = options.timeoutGuardMillis ?? DEFAULT_GUARD_MILLIS;
    if ((options.flush ?? true) && deadline !== undefined && guardMillis !== false) {
      // With less time left than the guard, fire half-way instead of at once: spans opened at the
      // start would otherwise be marked timed out before the handler had a chance to finish.
      const now = epochNow();
      this.#guard = realSetTimeout(
        () => {
          const ended = endOpen(invocation, closeTimedOut);
          log.warn(`Invocation is about to time out: ended ${ended} open span(s) as timed_out and flushing.`);
          void flushBefore(deadline, options, invocation);
        },
        Math.max(0, deadline - guardMillis - now, (deadline - now) / 2),
      );
      // The guard must never keep an otherwise empty event loop alive: runtimes answer (or exit)
      // when the loop drains, and a held loop would make them answer only when the guard fires.
      this.#guard.unref?.();
    }
  }

  run<T>(fn: () => T): T {
    return storage.run(this.#store, fn);
  }

  enter(): void {
    storage.enterWith(this.#store);
  }

  get active(): boolean {
    return currentStore()?.invocation === this.#invocation;
  }

  get closed(): boolean {
    return this.#invocation.closed;
  }

  fail(error: unknown): void {
    endOpen(this.#invocation, (s) => {
      recordError(s.span, error);
      closeSpan(s);
    });
  }

  close(): Promise<FlushResult | undefined> {
    return (this.#closing ??= this.#finish().catch((error: unknown) => {
      log.warn(`Closing the invocation failed: ${String(error)}`);
      return undefined;
    }));
  }

  end(): void {
    this.#invocation.closed = true;
    realClearTimeout(this.#guard);
    const left = endOpen(this.#invocation, (s) => {
      s.span.setAttribute('bentolabs.unfinished', true);
      closeSpan(s);
    });
    if (left > 0)
      log.warn(
        `${left} span(s) were still open when the invocation ended; they were ended so they are not lost at the freeze.`,
      );
  }

  async #finish(): Promise<FlushResult | undefined> {
    if (!(this.#options.flush ?? true)) {
      this.#invocation.closed = true;
      realClearTimeout(this.#guard);
      return undefined;
    }
    this.end();
    return flushBefore(this.#deadline, this.#options, this.#invocation);
  }
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
  if (typeof fn !== 'function')
    throw new TypeError(`runInvocation() expects a function to run; got ${fn === null ? 'null' : typeof fn}.`);
  checkRunOptions(options);
  return runChecked(fn, options);
}

/** `runInvocation` for adapters, whose options were already checked once at setup. */
export async function runChecked<T>(fn: () => T | Promise<T>, options: RunInvocationOptions): Promise<T> {
  const invocation = openInvocation(options);
  if (!invocation) return fn();
  try {
    return await invocation.run(fn);
  } finally {
    await invocation.close();
  }
}
