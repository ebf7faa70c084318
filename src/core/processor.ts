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
import type { ReadableSpan, SpanProcessor } from './otel-types.js';
import { MAX_TIMER_MILLIS, type BentoOptions } from './config.js';
import { BentoLabsTraceExporter } from './exporter.js';
import { RateLimitedLog } from './logger.js';
import { cancelSoon, runSoon, unref, type Timer } from './timers.js';

/** Result of `flush()`: never a rejection. */
export interface FlushResult {
  /** Everything recorded before the flush was delivered, and nothing recorded since the previous flush was dropped. */
  ok: boolean;
  /** Spans accepted by the endpoint since the previous flush returned. */
  exported: number;
  /** Spans dropped (queue overflow or failed export) since the previous flush returned. */
  dropped: number;
  /** Why `ok` is false: `timeout`, or the last export error. */
  error?: string;
}

/** Span counts since the processor started. */
export interface PipelineCounts {
  recorded: number;
  exported: number;
  dropped: number;
  droppedQueueFull: number;
  droppedExportFailed: number;
  queued: number;
  inFlight: number;
}

/** Requests a waiting flush may have in flight at once (see `pump`). */
const MAX_PARALLEL_FOR_FLUSH = 4;

interface Waiter {
  target: number;
  resolve: () => void;
}

/**
 * A batching span processor for a user's own `TracerProvider`, exporting to BentoLabs.
 * @example
 * const provider = new BasicTracerProvider({ spanProcessors: [new BentoLabsSpanProcessor({ apiKey: 'bl_pk_...' })] });
 * // ... at the end of a serverless invocation:
 * await provider.forceFlush();
 */
export class BentoLabsSpanProcessor implements SpanProcessor {
  readonly exporter: BentoLabsTraceExporter;
  private readonly maxQueueSize: number;
  private readonly maxBatch: number;
  private readonly delayMillis: number;
  // A ring buffer: drop-oldest and take-oldest are O(1) at 2048 spans per tick.
  private readonly ring: (ReadableSpan | undefined)[];
  private head = 0;
  private size = 0;
  /** Sequence number the next ended span gets; the queue holds `[nextSeq - size, nextSeq)`. */
  private nextSeq = 0;
  private readonly inFlightStarts = new Set<number>();
  private waiters: Waiter[] = [];
  private flushTarget = 0;
  private timer: Timer | undefined;
  private immediate: Timer | undefined;
  private stopped = false;
  private lastError: string | undefined;
  private readonly counts = { exported: 0, droppedQueueFull: 0, droppedExportFailed: 0 };
  private readonly queueFullLog: RateLimitedLog;

  constructor(options: BentoOptions = {}, exporter?: BentoLabsTraceExporter) {
    this.exporter = exporter ?? new BentoLabsTraceExporter(options);
    const o = this.exporter.options;
    // The exporter's own logger, never the SDK-wide one (see BentoLabsTraceExporter.log).
    this.queueFullLog = new RateLimitedLog(
      'warn',
      5_000,
      (n) => `Queue full, dropping span. (${n} dropped since last report; maxQueueSize ${this.maxQueueSize})`,
      this.exporter.log,
    );
    this.maxQueueSize = o.maxQueueSize;
    this.maxBatch = o.maxExportBatchSize;
    this.delayMillis = o.scheduledDelayMillis;
    this.ring = new Array<ReadableSpan | undefined>(this.maxQueueSize);
  }

  onStart(_span: unknown, _parentContext: Context): void {}

  onEnd(span: ReadableSpan): void {
    if (this.stopped) {
      this.nextSeq++;
      this.counts.droppedQueueFull++;
      return;
    }
    if (this.size === this.maxQueueSize) {
      // Drop the oldest: in a burst the newest spans describe what just happened.
      this.ring[this.head] = undefined;
      this.head = (this.head + 1) % this.maxQueueSize;
      this.size--;
      this.counts.droppedQueueFull++;
      this.queueFullLog.hit();
    }
    this.ring[(this.head + this.size) % this.maxQueueSize] = span;
    this.size++;
    this.nextSeq++;
    this.schedule();
    this.notify();
  }

  /** Counts since start; `queued + inFlight` are the spans whose fate is still open. */
  counters(): PipelineCounts {
    let inFlight = 0;
    for (const n of this.inFlightSizes.values()) inFlight += n;
    const dropped = this.counts.droppedQueueFull + this.counts.droppedExportFailed;
    return { recorded: this.nextSeq, dropped, ...this.counts, queued: this.size, inFlight };
  }

  get lastExportError(): string | undefined {
    return this.lastError;
  }

  private readonly inFlightSizes = new Map<number, number>();

  private schedule(): void {
    // Never export inside the recording call: a full batch starts on the next turn of the loop.
    if (this.size >= this.maxBatch || this.flushTarget > this.oldestOpen()) {
      this.immediate ??= runSoon(() => {
        this.immediate = undefined;
        this.pump();
      });
      unref(this.immediate);
      return;
    }
    if (!this.timer && this.size > 0) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        // A tick exports what waited until now, not what keeps arriving while it exports:
        // draining "until empty" under steady load sends one tiny request per few spans.
        this.tickTarget = this.nextSeq;
        this.pump();
      }, this.delayMillis);
      unref(this.timer);
    }
  }

  /** Oldest sequence number whose fate is still open (queued or in flight). */
  private oldestOpen(): number {
    let oldest = this.nextSeq - this.size;
    for (const start of this.inFlightStarts) oldest = Math.min(oldest, start);
    return oldest;
  }

  /** Spans up to this sequence number were queued when the timer last fired. */
  private tickTarget = 0;

  private pump(): void {
    // One request at a time keeps order, memory and the endpoint's load predictable; a full
    // queue of 2048 spans is four requests. The exception is a flush waiting for queued spans:
    // they go out beside what is in flight (up to a few requests), because that request may be
    // stale — hung across a Lambda freeze — and would otherwise hold back every later flush
    // until its own deadline, freezing each invocation with its spans undelivered.
    const startSeq = this.nextSeq - this.size;
    if (
      this.inFlightStarts.size > 0 &&
      !(this.flushTarget > startSeq && this.size > 0 && this.inFlightStarts.size < MAX_PARALLEL_FOR_FLUSH)
    )
      return;
    const wanted = this.size >= this.maxBatch || this.flushTarget > startSeq || this.tickTarget > startSeq;
    if (this.size === 0 || !wanted) {
      this.schedule();
      return;
    }
    const n = Math.min(this.size, this.maxBatch);
    const batch: ReadableSpan[] = new Array(n);
    for (let i = 0; i < n; i++) {
      batch[i] = this.ring[this.head] as ReadableSpan;
      this.ring[this.head] = undefined;
      this.head = (this.head + 1) % this.maxQueueSize;
    }
    this.size -= n;
    this.inFlightStarts.add(startSeq);
    this.inFlightSizes.set(startSeq, n);
    this.exporter.exportWithTally(batch).then((tally) => {
      this.inFlightStarts.delete(startSeq);
      this.inFlightSizes.delete(startSeq);
      this.counts.exported += tally.exported;
      this.counts.droppedExportFailed += tally.rejected;
      this.lastError = tally.rejected > 0 ? (this.exporter.lastOutcome?.error ?? 'export failed') : undefined;
      this.notify();
      // Keep draining: a tick or a flush exports everything that waited, not only one batch.
      const queuedFrom = this.nextSeq - this.size;
      if (
        this.size > 0 &&
        (this.size >= this.maxBatch || this.flushTarget > this.oldestOpen() || this.tickTarget > queuedFrom)
      )
        this.pump();
      else this.schedule();
    });
  }

  private notify(): void {
    if (this.waiters.length === 0) return;
    const oldest = this.oldestOpen();
    this.waiters = this.waiters.filter((w) => {
      if (w.target > oldest) return true;
      w.resolve();
      return false;
    });
  }

  /**
   * Exports everything ended before this call and waits until it is delivered or dropped, or
   * `timeoutMillis` passes. Never rejects.
   */
  async flush(timeoutOption?: number): Promise<FlushResult> {
    // NaN means "not given"; Infinity and anything past the timer limit wait as long as a timer
    // can (setTimeout would fire such a timer after 1 ms and report a bogus timeout).
    const timeoutMillis =
      typeof timeoutOption === 'number' && !Number.isNaN(timeoutOption)
        ? Math.min(Math.max(0, timeoutOption), MAX_TIMER_MILLIS)
        : this.exporter.options.exportTimeoutMillis;
    const target = this.nextSeq;
    this.flushTarget = Math.max(this.flushTarget, target);
    let timedOut = false;
    await new Promise<void>((resolve) => {
      if (this.oldestOpen() >= target) return resolve();
      let timer: Timer | undefined;
      const waiter: Waiter = {
        target,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      this.waiters.push(waiter);
      // Not unref'd: whoever awaits a flush wants the process to stay until it is done.
      timer = setTimeout(
        () => {
          timedOut = true;
          this.waiters = this.waiters.filter((w) => w !== waiter);
          resolve();
        },
        Math.max(0, timeoutMillis),
      );
      this.pump();
    });
    // Counted since the previous flush returned, not since this one started: spans dropped before
    // the call (a full queue between two flushes) were recorded before it, so they belong here.
    const after = this.counters();
    const before = this.reported;
    this.reported = {
      exported: after.exported,
      droppedQueueFull: after.droppedQueueFull,
      droppedExportFailed: after.droppedExportFailed,
    };
    const exported = after.exported - before.exported;
    const queueFull = after.droppedQueueFull - before.droppedQueueFull;
    const failed = after.droppedExportFailed - before.droppedExportFailed;
    const dropped = queueFull + failed;
    const ok = !timedOut && dropped === 0;
    const cause = this.exporter.lastAttemptError ? ` (last attempt: ${this.exporter.lastAttemptError})` : '';
    const reasons = [
      queueFull > 0 && `${queueFull} dropped because the queue was full (maxQueueSize ${this.maxQueueSize})`,
      failed > 0 && `${failed} dropped by failed exports: ${this.lastError ?? 'export failed'}`,
    ].filter(Boolean);
    const error = timedOut
      ? `timeout: ${after.queued + after.inFlight} span(s) still pending after ${timeoutMillis} ms${cause}`
      : dropped > 0
        ? reasons.join('; ')
        : undefined;
    return { ok, exported, dropped, ...(error !== undefined && { error }) };
  }

  /** Counters as the previous flush reported them. */
  private reported = { exported: 0, droppedQueueFull: 0, droppedExportFailed: 0 };

  async forceFlush(): Promise<void> {
    await this.flush();
  }

  async shutdown(): Promise<void> {
    await this.flush();
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) cancelSoon(this.immediate);
    this.queueFullLog.close();
    await this.exporter.shutdown();
  }
}
