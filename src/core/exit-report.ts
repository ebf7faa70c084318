/**
 * What the exit hooks do, and what they say when something could not be delivered. Three rules:
 * the exit is bounded (`exitFlushTimeoutMillis`, default 2 s, however many spans wait and however
 * dead the endpoint is); spans left open are ended and delivered rather than lost; and an exit
 * that loses spans names its real cause: a crash, `process.exit()`, or an endpoint that did not
 * answer in time.
 */
import { log } from './logger.js';
import { allOpenSpans, describeSpans } from './open-spans.js';
import type { BentoLabsSpanProcessor } from './processor.js';
import { closeSpan } from './record.js';
import { warnOnce } from './warnings.js';

const UNFINISHED = 'bentolabs.unfinished';

/** Why the last exit-time flush ended, for the message at `exit`. */
interface ExitState {
  /** An uncaught exception (or unhandled rejection) is ending the process. */
  crash?: { error: unknown; origin: string };
  /** The exit flush ran out of time with spans still pending. */
  timedOut?: { budget: number; error: string | undefined };
  /** An exit flush is in progress (beforeExit fires again once our own async work is done). */
  flushing: boolean;
}

export function newExitState(): ExitState {
  return { flushing: false };
}

/** Ends spans nobody will end any more, so they are delivered, and says so with the fix. */
export function endStraySpans(when: string): void {
  const strays = allOpenSpans();
  if (strays.length === 0) return;
  for (const s of strays.reverse()) {
    s.span.setAttribute(UNFINISHED, true);
    closeSpan(s);
  }
  warnOnce(
    'open_at_exit',
    `${strays.length} span(s) were still open ${when} (${describeSpans(strays)}); ended with ${UNFINISHED} = true ` +
      'and delivered. Call finish() in a `finally`, or use begin(fields, fn).',
  );
}

/**
 * Flushes within the exit budget. Export requests never hold the process by themselves (see
 * transport.ts): only this flush's timer does, so past the budget the process ends.
 */
async function boundedFlush(processor: BentoLabsSpanProcessor, budget: number, state: ExitState): Promise<void> {
  const result = await processor.flush(budget);
  const c = processor.counters();
  if (c.queued + c.inFlight > 0) {
    state.timedOut = { budget, error: processor.exporter.lastAttemptError ?? result.error };
  }
}

/** `beforeExit`: the event loop is empty, the process is about to end on its own. */
export function exitingNaturally(processor: BentoLabsSpanProcessor, budget: number, state: ExitState): void {
  // Once the budget is spent (or while it runs) another flush would only start another budget.
  if (state.flushing || state.timedOut) return;
  endStraySpans('when the process was about to exit');
  const c = processor.counters();
  if (c.queued + c.inFlight === 0) return;
  state.flushing = true;
  void boundedFlush(processor, budget, state).finally(() => {
    state.flushing = false;
  });
}

/** `SIGTERM`/`SIGINT`: flush within the budget, then let the caller restore the signal's effect. */
export function exitingOnSignal(processor: BentoLabsSpanProcessor, budget: number, state: ExitState): Promise<void> {
  endStraySpans('when the process received a signal');
  return boundedFlush(processor, budget, state);
}

/** `uncaughtExceptionMonitor`: observes a crash without handling it (the process still dies). */
export function crashing(state: ExitState, error: unknown, origin: string): void {
  state.crash = { error, origin };
}

function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  try {
    return String(error);
  } catch {
    return 'a non-printable value';
  }
}

/** `exit`: nothing asynchronous can run any more; say what is lost and why. */
export function exited(processor: BentoLabsSpanProcessor, state: ExitState): void {
  // A burst's drop count may still wait for its report, and the rate limit's trailing one too.
  processor.reportQueueFull(true);
  const open = allOpenSpans();
  const c = processor.counters();
  const pending = c.queued + c.inFlight;
  if (pending === 0 && open.length === 0) return;
  const lost = [
    pending > 0 && `${pending} span(s) were not delivered`,
    open.length > 0 && `${open.length} span(s) still open were never exported (${describeSpans(open)})`,
  ]
    .filter(Boolean)
    .join(', and ');
  if (state.crash) {
    const what =
      state.crash.origin === 'unhandledRejection' ? 'an unhandled promise rejection' : 'an uncaught exception';
    log.warn(
      `${lost}: the process crashed with ${what} (${describeError(state.crash.error)}) before they were flushed.`,
    );
  } else if (state.timedOut) {
    log.warn(
      `${lost}: the endpoint did not accept them within exitFlushTimeoutMillis (${state.timedOut.budget} ms) at exit` +
        `${state.timedOut.error ? ` (last error: ${state.timedOut.error})` : ''}.`,
    );
  } else {
    log.warn(
      `${lost}: the process exited (process.exit()) before they were flushed. Call \`await flush()\` before exiting.`,
    );
  }
}
