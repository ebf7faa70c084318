/**
 * `BentoLabsSpanProcessor`: a bounded, batching span processor whose `flush()` waits for every
 * span ended before the call, including a batch that an earlier timer tick already handed to the
 * exporter. OpenTelemetry's `BatchSpanProcessor.forceFlush()` does not wait for that batch, so a
 * Lambda frozen right after it can lose a request; that gap is why this class exists.
 *
 * Accounting: every span that reaches `onEnd` is, at any moment, exactly one of queued, in
 * flight, exported or dropped. `recorded = exported + dropped + queued + inFlight` always holds.
 */
import type { Context } from '@opentelemetry/api';
import { MAX_TIMER_MILLIS, type BentoOptions } from './config.js';
import { currentStore, liveInvocation } from './context.js';
import { BentoLabsTraceExporter } from './exporter.js';
import { RateLimitedLog } from './logger.js';
import { noteWarning } from './warnings.js';
import {
  describeFlush,
  emptyTally,
  type Fate,
  type FlushResult,
  type PipelineCounts,
  type Scope,
  type Tally,
  type Window,
} from './flush-result.js';
import type { ReadableSpan, SpanProcessor } from './otel-types.js';
import { cancelSoon, realClearTimeout, realSetTimeout, runSoon, unref, type Timer } from './timers.js';

export type { FlushResult, PipelineCounts } from './flush-result.js';

/** Requests a waiting flush may have in flight at once (see `pump`). */
const MAX_PARALLEL_FOR_FLUSH = 4;

type Waiter = { target: number; resolve: () => void };

/**
 * A batching span processor for a user's own `TracerProvider`, exporting to BentoLabs. With
 * `enabled: false` (or `BENTOLABS_ENABLED=false`) it ignores every span and sends nothing.
 * @example
 * const provider = new BasicTracerProvider({ spanProcessors: [new BentoLabsSpanProcessor({ apiKey: 'bl_pk_...' })] });
 * // ... at the end of a serverless invocation:
 * await provider.forceFlush();
 */
export class BentoLabsSpanProcessor implements SpanProcessor {
  readonly exporter: BentoLabsTraceExporter;
  readonly #enabled: boolean;
  readonly #maxQueueSize: number;
  readonly #maxBatch: number;
  readonly #delayMillis: number;
  // A ring buffer: drop-oldest and take-oldest are O(1) at 2048 spans per tick.
  readonly #ring: (ReadableSpan | undefined)[];
  #head = 0;
  #size = 0;
  /** Sequence number the next ended span gets; the queue holds `[nextSeq - size, nextSeq)`. */
  #nextSeq = 0;
  /** Start sequence number and size of each batch in flight. */
  readonly #inFlight = new Map<number, number>();
  #waiters: Waiter[] = [];
  #flushTarget = 0;
  /** Spans up to this sequence number were queued when the timer last fired. */
  #tickTarget = 0;
  #timer: Timer | undefined;
  #immediate: Timer | undefined;
  #stopped = false;
  #lastError: string | undefined;
  readonly #counts = emptyTally();
  /** Windows of the flushes in progress, and the one the next flush() will take over. */
  readonly #windows = new Set<Window>();
  #open: Window = { from: 0, to: Number.POSITIVE_INFINITY, ...emptyTally() };
  /** The invocation each unfinished span was started in, and that invocation's accounting. */
  readonly #spanScopes = new WeakMap<object, Scope>();
  readonly #scopes = new WeakMap<object, Scope>();
  readonly #queueFullLog: RateLimitedLog;
  #warnedAfterShutdown = false;
  /**
   * Drops of the synchronous burst in progress. Nothing is exported while a burst runs (exports
   * start on a later turn of the event loop), so reporting at the first drop would say "1 dropped"
   * for a burst that drops thousands: the count is handed to the log once the burst is over.
   */
  #burstDrops = 0;
  #burstReport: Timer | undefined;

  constructor(options: BentoOptions = {}, exporter?: BentoLabsTraceExporter) {
    this.exporter = exporter ?? new BentoLabsTraceExporter(options);
    const o = this.exporter.options;
    // The exporter's own logger, never the SDK-wide one (see BentoLabsTraceExporter.log).
    this.#queueFullLog = new RateLimitedLog(
      'warn',
      5_000,
      (n) =>
        `Queue full, dropping span. ${n} span(s) dropped (the oldest first) since the last report; maxQueueSize ${this.#maxQueueSize}. ` +
        'Spans were recorded faster than they could be sent: raise maxQueueSize, or `await flush()` between bursts ' +
        '(see status().droppedQueueFull).',
      this.exporter.log,
      (n, message) => noteWarning('queue_full', message, n),
    );
    this.#enabled = o.enabled;
    this.#maxQueueSize = o.maxQueueSize;
    this.#maxBatch = o.maxExportBatchSize;
    this.#delayMillis = o.scheduledDelayMillis;
    this.#ring = new Array<ReadableSpan | undefined>(this.#enabled ? this.#maxQueueSize : 0);
  }

  onStart(span: unknown, _parentContext: Context): void {
    if (!this.#enabled || this.#stopped) return;
    // The invocation (adapter request) this span starts in: its flush accounts for exactly its own
    // spans, so two overlapping requests never report, or get blamed for, each other's.
    const invocation = liveInvocation(currentStore());
    if (!invocation || span === null || typeof span !== 'object') return;
    let scope = this.#scopes.get(invocation);
    if (!scope) this.#scopes.set(invocation, (scope = { tally: emptyTally(), pending: 0 }));
    this.#spanScopes.set(span, scope);
  }

  onEnd(span: ReadableSpan): void {
    if (!this.#enabled) return;
    const seq = this.#nextSeq++;
    const scope = this.#spanScopes.get(span);
    if (scope) scope.pending++;
    if (this.#stopped) {
      // Not a full queue: nothing exports any more. Said once, so the cause is not a mystery.
      if (!this.#warnedAfterShutdown)
        this.exporter.log.warn('A span ended after shutdown() and was dropped; end spans before calling shutdown().');
      this.#warnedAfterShutdown = true;
      this.#settle(span, seq, 'droppedAfterShutdown');
      return;
    }
    if (this.#size === this.#maxQueueSize) {
      // Drop the oldest: in a burst the newest spans describe what just happened.
      const oldest = this.#ring[this.#head];
      this.#ring[this.#head] = undefined;
      this.#head = (this.#head + 1) % this.#maxQueueSize;
      this.#size--;
      this.#settle(oldest, seq - this.#maxQueueSize, 'droppedQueueFull');
      this.#burstDrops++;
      // Not unref'd: it runs on the very next turn of the loop, and the count must not be lost.
      this.#burstReport ??= runSoon(() => this.reportQueueFull());
    }
    this.#ring[(this.#head + this.#size) % this.#maxQueueSize] = span;
    this.#size++;
    this.#schedule();
    this.#notify();
  }

  /** Records the fate of one span in the totals, in the flush window holding it, and in its invocation's scope. */
  #settle(span: ReadableSpan | undefined, seq: number, fate: Fate): void {
    this.#counts[fate]++;
    // The earliest flush still waiting for this span reports it; one that gave up (timed out)
    // hands it on to the next, and without one the next flush() call reports it.
    let window = this.#open;
    for (const w of this.#windows)
      if (seq < w.to) {
        window = w;
        break;
      }
    window[fate]++;
    const scope = span && this.#spanScopes.get(span);
    if (!scope) return;
    this.#spanScopes.delete(span);
    scope.tally[fate]++;
    scope.pending--;
  }

  /**
   * Hands the drops of the burst that just ended to the rate-limited log; `final` (at exit and
   * shutdown) also reports a count still waiting for the end of its interval.
   */
  reportQueueFull(final = false): void {
    if (this.#burstReport) cancelSoon(this.#burstReport);
    this.#burstReport = undefined;
    const n = this.#burstDrops;
    this.#burstDrops = 0;
    if (n > 0) this.#queueFullLog.hit(n);
    if (final) this.#queueFullLog.close();
  }

  /** Counts since start; `queued + inFlight` are the spans whose fate is still open. */
  counters(): PipelineCounts {
    let inFlight = 0;
    for (const n of this.#inFlight.values()) inFlight += n;
    const c = this.#counts;
    const dropped = c.droppedQueueFull + c.droppedExportFailed + c.droppedAfterShutdown;
    return { recorded: this.#nextSeq, dropped, ...c, queued: this.#size, inFlight };
  }

  get lastExportError(): string | undefined {
    return this.#lastError;
  }
  #schedule(): void {
    // Never export inside the recording call: a full batch starts on the next turn of the loop.
    if (this.#size >= this.#maxBatch || this.#flushTarget > this.#oldestOpen()) {
      this.#immediate ??= runSoon(() => {
        this.#immediate = undefined;
        this.#pump();
      });
      unref(this.#immediate);
      return;
    }
    if (!this.#timer && this.#size > 0) {
      this.#timer = realSetTimeout(() => {
        this.#timer = undefined;
        // A tick exports what waited until now, not what keeps arriving while it exports:
        // draining "until empty" under steady load sends one tiny request per few spans.
        this.#tickTarget = this.#nextSeq;
        this.#pump();
      }, this.#delayMillis);
      unref(this.#timer);
    }
  }

  /** How many spans ended before `target` are still queued or in flight. */
  #openBefore(target: number): number {
    let n = Math.max(0, Math.min(target, this.#nextSeq) - (this.#nextSeq - this.#size));
    for (const [start, size] of this.#inFlight) n += Math.max(0, Math.min(start + size, target) - start);
    return n;
  }

  /** Oldest sequence number whose fate is still open (queued or in flight). */
  #oldestOpen(): number {
    let oldest = this.#nextSeq - this.#size;
    for (const start of this.#inFlight.keys()) oldest = Math.min(oldest, start);
    return oldest;
  }

  #pump(): void {
    // One request at a time keeps order, memory and the endpoint's load predictable; a full
    // queue of 2048 spans is four requests. The exception is a flush waiting for queued spans:
    // they go out beside what is in flight (up to a few requests), because that request may be
    // stale — hung across a Lambda freeze — and would otherwise hold back every later flush
    // until its own deadline, freezing each invocation with its spans undelivered.
    const startSeq = this.#nextSeq - this.#size;
    if (
      this.#inFlight.size > 0 &&
      !(this.#flushTarget > startSeq && this.#size > 0 && this.#inFlight.size < MAX_PARALLEL_FOR_FLUSH)
    )
      return;
    const wanted = this.#size >= this.#maxBatch || this.#flushTarget > startSeq || this.#tickTarget > startSeq;
    if (this.#size === 0 || !wanted) {
      this.#schedule();
      return;
    }
    const n = Math.min(this.#size, this.#maxBatch);
    const batch: ReadableSpan[] = new Array(n);
    for (let i = 0; i < n; i++) {
      batch[i] = this.#ring[this.#head] as ReadableSpan;
      this.#ring[this.#head] = undefined;
      this.#head = (this.#head + 1) % this.#maxQueueSize;
    }
    this.#size -= n;
    this.#inFlight.set(startSeq, n);
    // Not holding the process: flush() does, within its timeout (the exit hooks' is exitFlushTimeoutMillis).
    this.exporter.exportWithTally(batch, false).then((tally) => {
      this.#inFlight.delete(startSeq);
      // Spans outside the exporter's `lost` ranges were delivered.
      let next = 0;
      for (const [from, to] of tally.lost) {
        for (let i = next; i < from && i < n; i++) this.#settle(batch[i], startSeq + i, 'exported');
        for (let i = from; i < to && i < n; i++) this.#settle(batch[i], startSeq + i, 'droppedExportFailed');
        next = to;
      }
      for (let i = next; i < n; i++) this.#settle(batch[i], startSeq + i, 'exported');
      this.#lastError = tally.rejected > 0 ? (this.exporter.lastOutcome?.error ?? 'export failed') : undefined;
      this.#notify();
      // Keep draining: a tick or a flush exports everything that waited, not only one batch.
      const queuedFrom = this.#nextSeq - this.#size;
      if (
        this.#size > 0 &&
        (this.#size >= this.#maxBatch || this.#flushTarget > this.#oldestOpen() || this.#tickTarget > queuedFrom)
      )
        this.#pump();
      else this.#schedule();
    });
  }

  #notify(): void {
    if (this.#waiters.length === 0) return;
    const oldest = this.#oldestOpen();
    this.#waiters = this.#waiters.filter((w) => {
      if (w.target > oldest) return true;
      w.resolve();
      return false;
    });
  }

  /** Waits until every span before `target` is delivered or dropped, or the timeout passed (`true`). */
  #waitFor(target: number, timeoutMillis: number): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      if (this.#oldestOpen() >= target) return resolve(false);
      const waiter: Waiter = {
        target,
        resolve: () => {
          realClearTimeout(timer);
          resolve(false);
        },
      };
      // Not unref'd: whoever awaits a flush wants the process to stay until it is done.
      // Real timers (timers.ts): a test's fake timers must not stop a flush from giving up.
      const timer = realSetTimeout(
        () => {
          this.#waiters = this.#waiters.filter((w) => w !== waiter);
          resolve(true);
        },
        Math.max(0, timeoutMillis),
      );
      this.#waiters.push(waiter);
      this.#pump();
    });
  }

  /**
   * Exports everything ended before this call and waits until it is delivered or dropped, or
   * `timeoutMillis` passes. Never rejects. The result accounts for the spans ended since the
   * previous `flush()` was called and before this one (so two overlapping flushes never report
   * each other's spans), plus older ones whose fate was decided when no earlier flush was
   * waiting for them any more (a drop after a flush that timed out is not lost from view).
   */
  async flush(timeoutOption?: number): Promise<FlushResult> {
    const timeoutMillis = this.timeoutFor(timeoutOption);
    if (!this.#enabled) return { ok: true, exported: 0, dropped: 0 };
    const target = this.#nextSeq;
    const window = this.#open;
    window.to = target;
    this.#windows.add(window);
    this.#open = { from: target, to: Number.POSITIVE_INFINITY, ...emptyTally() };
    this.#flushTarget = Math.max(this.#flushTarget, target);
    const timedOut = await this.#waitFor(target, timeoutMillis);
    this.#windows.delete(window);
    return this.#result(window, this.#openBefore(target), timedOut, timeoutMillis);
  }

  /**
   * The flush at the end of one invocation (the key `runInvocation` and the adapters open). It
   * waits, like `flush()`, for everything ended before the call (a span recorded outside any
   * request, at cold start say, must not be lost at the freeze either), but reports only the
   * invocation's own spans: what became of them since the previous call for that invocation, and
   * `ok: false` only if one of them was dropped or is still pending. So overlapping requests never
   * report, or get blamed for, each other's spans.
   */
  async flushInvocation(invocation: object, timeoutOption?: number): Promise<FlushResult> {
    const timeoutMillis = this.timeoutFor(timeoutOption);
    if (!this.#enabled) return { ok: true, exported: 0, dropped: 0 };
    const target = this.#nextSeq;
    this.#flushTarget = Math.max(this.#flushTarget, target);
    const timedOut = await this.#waitFor(target, timeoutMillis);
    const scope = this.#scopes.get(invocation);
    const tally = scope?.tally ?? emptyTally();
    if (scope) scope.tally = emptyTally();
    const pending = scope?.pending ?? 0;
    return this.#result(tally, pending, timedOut && pending > 0, timeoutMillis);
  }

  /** The wait a flush given `option` as its timeout gets: the export timeout when none is given. */
  timeoutFor(option: unknown): number {
    // NaN means "not given"; Infinity and anything past the timer limit wait as long as a timer
    // can (setTimeout would fire such a timer after 1 ms and report a bogus timeout).
    return typeof option === 'number' && !Number.isNaN(option)
      ? Math.min(Math.max(0, option), MAX_TIMER_MILLIS)
      : this.exporter.options.exportTimeoutMillis;
  }

  #result(t: Tally, pending: number, timedOut: boolean, timeoutMillis: number): FlushResult {
    const lastAttempt = this.exporter.lastAttemptError;
    return describeFlush(t, {
      pending,
      timedOut,
      timeoutMillis,
      maxQueueSize: this.#maxQueueSize,
      lastError: this.#lastError,
      lastAttempt,
    });
  }

  async forceFlush(): Promise<void> {
    await this.flush();
  }

  async shutdown(): Promise<void> {
    await this.flush();
    this.#stopped = true;
    if (this.#timer) realClearTimeout(this.#timer);
    if (this.#immediate) cancelSoon(this.#immediate);
    this.reportQueueFull(true);
    await this.exporter.shutdown();
  }
}
