/**
 * `BentoLabsTraceExporter`: OTLP/HTTP to `${baseUrl}/v1/traces`, protobuf by default and JSON on
 * request (otlp-proto.ts, otlp-json.ts), with the behaviours a BentoLabs endpoint needs: requests
 * of bounded size (see encode.ts), JSON fallback after a 415, batch splitting after a 413, an
 * actionable message for 401/403, and an outcome record for `status()`.
 */
import { withoutHostTracing } from './host-context.js';
import { redactIn, redactKey } from './api-key.js';
import { resolveOptions, type BentoOptions, type BentoProtocol, type ResolvedOptions } from './config.js';
import { CONTENT_TYPE, encodeSpans, estimateSpanBytes, takeBySize, yieldToLoop } from './encode.js';
import { ownLog, RateLimitedLog, type Log } from './logger.js';
import { noteWarning } from './warnings.js';
import type { ExportResult, ReadableSpan, SpanExporter } from './otel-types.js';
import { jsonRejectedSpans } from './otlp-json.js';
import { protobufRejectedSpans } from './otlp-proto.js';
import { sendWithRetry, type SendOutcome } from './transport.js';
import { SDK_VERSION } from './version.js';
import { epochNow } from './timers.js';

/** The last export request's result, as `status()` shows it. */
export interface ExportOutcome {
  /** Epoch milliseconds when the request finished. */
  at: number;
  ok: boolean;
  spans: number;
  httpStatus?: number;
  error?: string;
  protocol: BentoProtocol;
}

/** Spans the endpoint accepted, and how many it lost (failed for good or rejected). */
export interface ExportTally {
  exported: number;
  rejected: number;
  /**
   * Index ranges `[start, end)` of the batch's spans that were not delivered, so a processor can
   * tell each flush exactly what became of its own spans. OTLP's partial success gives only a
   * count, so those rejections are taken from the end of their request.
   */
  lost: [number, number][];
}

function markLost(tally: ExportTally, start: number, count: number): void {
  if (count <= 0) return;
  tally.rejected += count;
  const last = tally.lost[tally.lost.length - 1];
  if (last && last[1] === start) last[1] = start + count;
  else tally.lost.push([start, start + count]);
}

// Refusals that concern one request's content; anything else (unreachable, timed out, failing,
// refusing the key, rate limiting) would refuse the rest of the batch too, so it is not sent.
const CONTENT_REFUSALS = new Set([400, 404, 405, 409, 410, 411, 412, 413, 414, 415, 422]);

/**
 * A `SpanExporter` for users who run their own OpenTelemetry `TracerProvider`.
 * Resolves options at construction, so it throws `BentoAuthError` without a valid key. With
 * `enabled: false` (or `BENTOLABS_ENABLED=false`) it sends nothing and reports success.
 * @example
 * const provider = new BasicTracerProvider({
 *   spanProcessors: [new BatchSpanProcessor(new BentoLabsTraceExporter({ apiKey: 'bl_pk_...' }))],
 * });
 */
export class BentoLabsTraceExporter implements SpanExporter {
  readonly options: Readonly<ResolvedOptions>;
  #protocol: BentoProtocol;
  #inFlight = new Set<Promise<unknown>>();
  #stopped = false;
  /** The most recent request's result; `undefined` before the first. */
  lastOutcome: ExportOutcome | undefined;
  /** Error of the latest failed attempt, retries included, cleared by a success. */
  lastAttemptError: string | undefined;
  /** Counts every request, for diagnostics. */
  readonly counts = { requests: 0, failedRequests: 0 };
  /**
   * This exporter's own logger, from its `logger`/`logLevel` options (or BENTOLABS_LOG_LEVEL): an
   * exporter built by hand never reconfigures the SDK-wide logger. The processor logs through it too.
   */
  readonly log: Log;
  readonly #authLog: RateLimitedLog;
  readonly #tooLargeLog: RateLimitedLog;
  readonly #failLog: RateLimitedLog;

  constructor(options: BentoOptions = {}) {
    this.options = resolveOptions(options);
    this.log = ownLog(this.options.logLevel, this.options.logger);
    this.#protocol = this.options.protocol;
    // A batch of 512 spans the endpoint refuses one by one must not print 512 lines.
    this.#tooLargeLog = new RateLimitedLog(
      'warn',
      10_000,
      (n) =>
        `A single span was too large for the endpoint (413) and was dropped (${n} since the last report); ` +
        'lower maxAttributeValueLength.',
      this.log,
      (n, message) => noteWarning('payload_too_large', message, n),
    );
    this.#failLog = new RateLimitedLog(
      'warn',
      10_000,
      (n) =>
        `${n} export request(s) failed; last: ${this.lastOutcome?.error ?? 'unknown'}. ` +
        'Spans in them were dropped and counted (see status()).',
      this.log,
      (n, message) => noteWarning('export_failed', message, n),
    );
    this.#authLog = new RateLimitedLog(
      'error',
      60_000,
      (n) =>
        `BentoLabs rejected the API key ${redactKey(this.options.apiKey)} (HTTP ${this.lastOutcome?.httpStatus}, ` +
        `${n} request(s)) at ${this.options.tracesUrl}. Check that BENTOLABS_API_KEY is the public key (bl_pk_…) of ` +
        'the project you expect, and that BENTOLABS_BASE_URL points at its region.',
      this.log,
      (n, message) => noteWarning('auth_rejected', message, n),
    );
    if (!this.options.enabled)
      this.log.debug('BentoLabsTraceExporter: disabled (enabled: false or BENTOLABS_ENABLED); nothing will be sent.');
  }

  /** The encoding in use now: `http/json` after the endpoint refused protobuf. */
  get currentProtocol(): BentoProtocol {
    return this.#protocol;
  }

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    this.exportWithTally(spans).then(
      (tally) =>
        resultCallback(
          tally.rejected === 0
            ? { code: 0 }
            : { code: 1, error: new Error(this.lastOutcome?.error ?? 'export failed') },
        ),
      (error: unknown) => resultCallback({ code: 1, error: error instanceof Error ? error : new Error(String(error)) }),
    );
  }

  /**
   * Exports and says exactly how many spans were accepted and how many were lost. Never rejects.
   * `holdProcess: false` (the SDK's own processor) lets the process end while the request runs:
   * whoever needs it delivered waits in a flush, whose bounded timer holds the process instead.
   */
  exportWithTally(spans: ReadableSpan[], holdProcess = true): Promise<ExportTally> {
    // Disabled: a no-op that loses nothing, as every other entry point of a disabled SDK.
    if (!this.options.enabled) return Promise.resolve({ exported: 0, rejected: 0, lost: [] });
    if (this.#stopped || spans.length === 0) {
      const tally: ExportTally = { exported: 0, rejected: 0, lost: [] };
      markLost(tally, 0, spans.length);
      return Promise.resolve(tally);
    }
    // Suppressed, so a host's HTTP instrumentation neither records our request as a span of its
    // trace nor injects its `traceparent` header into it.
    const work = withoutHostTracing(() => this.#sendBatch(spans, holdProcess)).catch((error: unknown) => {
      this.log.error(`Unexpected export error: ${String(error)}`);
      const tally: ExportTally = { exported: 0, rejected: 0, lost: [] };
      markLost(tally, 0, spans.length);
      return tally;
    });
    this.#inFlight.add(work);
    void work.finally(() => this.#inFlight.delete(work));
    return work;
  }

  /**
   * Sends the batch as chunks cut by estimated size (each span is encoded once), one request at a
   * time with a turn of the event loop between them. Each request has its own
   * `exportTimeoutMillis`, so a large batch to a healthy endpoint is never cut short by a
   * deadline meant for one request; once a request fails in a way that would fail the next one
   * too, the rest of the batch is counted as lost at once instead of waiting out more timeouts.
   */
  async #sendBatch(spans: ReadableSpan[], hold: boolean): Promise<ExportTally> {
    const tally: ExportTally = { exported: 0, rejected: 0, lost: [] };
    // Requests aim at 90% of the limit, so an estimate a little low still fits.
    const target = this.options.maxExportRequestBytes * 0.9;
    let goOn = true;
    for (let start = 0; start < spans.length; ) {
      if (start > 0) await yieldToLoop();
      const { end } = takeBySize(spans, start, this.#protocol, target, this.#sizeRatio[this.#protocol]);
      if (goOn) goOn = await this.#deliver(spans.slice(start, end), start, tally, hold);
      else markLost(tally, start, end - start);
      start = end;
    }
    return tally;
  }

  /**
   * Real bytes per estimated byte, per encoding, learnt from each request (non-ASCII text and JSON
   * escapes make bodies larger than one byte per character), so requests keep fitting the limit.
   */
  readonly #sizeRatio: Record<BentoProtocol, number> = { 'http/protobuf': 1, 'http/json': 1 };

  #learnRatio(spans: ReadableSpan[], protocol: BentoProtocol, bytes: number): void {
    let estimate = 512;
    for (const span of spans) estimate += estimateSpanBytes(span, protocol);
    this.#sizeRatio[protocol] = Math.min(4, Math.max(1, bytes / estimate));
  }

  /** Sends one chunk (halving it when it is still too large); `false` = do not send the rest. */
  async #deliver(spans: ReadableSpan[], offset: number, tally: ExportTally, hold: boolean): Promise<boolean> {
    const protocol = this.#protocol;
    const body = await encodeSpans(spans, protocol);
    this.#learnRatio(spans, protocol, body.byteLength);
    if (body.byteLength === 0) {
      markLost(tally, offset, spans.length);
      return true;
    }
    // The estimate was low (JSON escapes, say): split before sending, as proxies and collectors
    // commonly refuse bodies past a few MiB.
    if (body.byteLength > this.options.maxExportRequestBytes && spans.length > 1)
      return this.#halves(spans, offset, tally, hold);
    const outcome = await sendWithRetry(
      this.options.tracesUrl,
      body,
      {
        Authorization: `Bearer ${this.options.apiKey}`,
        'Content-Type': CONTENT_TYPE[protocol],
        'User-Agent': `bentolabs-sdk-node/${SDK_VERSION}`,
      },
      epochNow() + this.options.exportTimeoutMillis,
      (error) => (this.lastAttemptError = this.#redact(error)),
      hold,
    );
    this.counts.requests++;
    this.#record(outcome, spans.length, protocol);
    if (outcome.ok) {
      this.lastAttemptError = undefined;
      const rejected = Math.min(spans.length, this.#partialRejections(outcome, protocol));
      tally.exported += spans.length - rejected;
      markLost(tally, offset + spans.length - rejected, rejected);
      return true;
    }
    if (outcome.status === 415 && protocol === 'http/protobuf') {
      this.#protocol = 'http/json';
      this.log.once(
        'info',
        `json-fallback:${this.options.tracesUrl}`,
        `${this.options.tracesUrl} answered 415 to protobuf; sending OTLP JSON from now on.`,
      );
      return this.#deliver(spans, offset, tally, hold);
    }
    if (outcome.status === 413 && spans.length > 1) {
      this.log.info(`Endpoint answered 413 to ${spans.length} spans; retrying as two smaller requests.`);
      return this.#halves(spans, offset, tally, hold);
    }
    this.counts.failedRequests++;
    if (outcome.status === 401 || outcome.status === 403) this.#authLog.hit();
    else if (outcome.status === 413) this.#tooLargeLog.hit();
    else this.#failLog.hit();
    markLost(tally, offset, spans.length);
    return outcome.status !== undefined && CONTENT_REFUSALS.has(outcome.status);
  }

  /** The one place a request is split in two: too large once encoded, or refused with 413. */
  async #halves(spans: ReadableSpan[], offset: number, tally: ExportTally, hold: boolean): Promise<boolean> {
    const half = Math.ceil(spans.length / 2);
    if (!(await this.#deliver(spans.slice(0, half), offset, tally, hold))) {
      markLost(tally, offset + half, spans.length - half);
      return false;
    }
    await yieldToLoop();
    return this.#deliver(spans.slice(half), offset + half, tally, hold);
  }

  /** OTLP partial success: the endpoint took the request but rejected some spans in it. */
  #partialRejections(outcome: SendOutcome, protocol: BentoProtocol): number {
    if (!outcome.body || outcome.body.length === 0) return 0;
    try {
      const { rejected, message } = (protocol === 'http/json' ? jsonRejectedSpans : protobufRejectedSpans)(
        outcome.body,
      );
      if (rejected > 0)
        this.log.warn(
          `Endpoint rejected ${rejected} span(s): ${message === undefined ? 'no reason given' : this.#redact(String(message))}`,
        );
      return Number.isFinite(rejected) && rejected > 0 ? rejected : 0;
    } catch {
      return 0;
    }
  }

  /** Gateways echo the Authorization header in error bodies; those bodies reach status() and logs. */
  #redact(text: string): string {
    return redactIn(text, this.options.apiKey);
  }

  #record(outcome: SendOutcome, spans: number, protocol: BentoProtocol): void {
    const error = outcome.error === undefined ? undefined : this.#redact(outcome.error);
    this.lastOutcome = {
      at: Date.now(),
      ok: outcome.ok,
      spans,
      protocol,
      ...(outcome.status !== undefined && { httpStatus: outcome.status }),
      ...(error !== undefined && { error }),
    };
    if (!outcome.ok) this.log.debug(`Export of ${spans} span(s) failed after ${outcome.attempts} attempt(s): ${error}`);
  }

  async forceFlush(): Promise<void> {
    await Promise.all([...this.#inFlight]);
  }

  async shutdown(): Promise<void> {
    await this.forceFlush();
    this.#stopped = true;
    for (const l of [this.#authLog, this.#failLog, this.#tooLargeLog]) l.close();
  }
}
