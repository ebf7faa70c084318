/**
 * What a flush reports: the types of the per-caller accounting in `BentoLabsSpanProcessor`, and
 * the wording of a flush result's `error`.
 */

/** Result of `flush()`: never a rejection. */
export interface FlushResult {
  /** Every span this flush waited for was delivered, and none of them was dropped. */
  ok: boolean;
  /** Of the spans this flush accounts for, how many the endpoint accepted. */
  exported: number;
  /** Of the spans this flush accounts for, how many were dropped (queue full, failed export, ended after shutdown). */
  dropped: number;
  /** Why `ok` is false: `timeout`, or the reasons of the drops. */
  error?: string;
}

/** Span counts since the processor started. */
export interface PipelineCounts {
  recorded: number;
  exported: number;
  dropped: number;
  droppedQueueFull: number;
  droppedExportFailed: number;
  /** Spans that ended after `shutdown()`; nothing exports them any more. */
  droppedAfterShutdown: number;
  queued: number;
  inFlight: number;
}

export type Fate = 'exported' | 'droppedQueueFull' | 'droppedExportFailed' | 'droppedAfterShutdown';

/** What became of a set of spans. */
export interface Tally {
  exported: number;
  droppedQueueFull: number;
  droppedExportFailed: number;
  droppedAfterShutdown: number;
}

export const emptyTally = (): Tally => ({
  exported: 0,
  droppedQueueFull: 0,
  droppedExportFailed: 0,
  droppedAfterShutdown: 0,
});

/**
 * One `flush()` call's accounting: the spans ended since the previous call, `[from, to)`, plus
 * any older one no flush was waiting for any more when its fate was decided.
 */
export interface Window extends Tally {
  from: number;
  to: number;
}

/** Spans started inside one invocation (an adapter's request), which that invocation's flush accounts for. */
export interface Scope {
  tally: Tally;
  /** Ended, fate still open. */
  pending: number;
}

/** The `FlushResult` for a tally: `ok` only without a timeout and without a drop; `error` says why not. */
export function describeFlush(
  t: Tally,
  c: {
    pending: number;
    timedOut: boolean;
    timeoutMillis: number;
    maxQueueSize: number;
    lastError: string | undefined;
    lastAttempt: string | undefined;
  },
): FlushResult {
  const dropped = t.droppedQueueFull + t.droppedExportFailed + t.droppedAfterShutdown;
  const cause = c.lastAttempt ? ` (last attempt: ${c.lastAttempt})` : '';
  const reasons = [
    t.droppedQueueFull > 0 &&
      `${t.droppedQueueFull} dropped because the queue was full (maxQueueSize ${c.maxQueueSize})`,
    t.droppedExportFailed > 0 &&
      `${t.droppedExportFailed} dropped by failed exports: ${c.lastError ?? 'export failed'}`,
    t.droppedAfterShutdown > 0 && `${t.droppedAfterShutdown} ended after shutdown() and were not exported`,
  ].filter(Boolean);
  const error = c.timedOut
    ? `timeout: ${c.pending} span(s) still pending after ${c.timeoutMillis} ms${cause}`
    : dropped > 0
      ? reasons.join('; ')
      : undefined;
  return { ok: !c.timedOut && dropped === 0, exported: t.exported, dropped, ...(error !== undefined && { error }) };
}
