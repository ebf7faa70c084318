/**
 * `BentoLabsTraceExporter`: OTLP/HTTP to `${baseUrl}/v1/traces`, serialized by OpenTelemetry's
 * own OTLP serializers (protobuf by default, JSON on request), with the behaviours a BentoLabs
 * endpoint needs: JSON fallback after a 415, batch splitting after a 413, an actionable message
 * for 401/403, and an outcome record that `status()` reports.
 */
import { context } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableSpan as OtelReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { ExportResult, ReadableSpan, SpanExporter } from './otel-types.js';
import { redactKey, resolveOptions, type BentoOptions, type BentoProtocol, type ResolvedOptions } from './config.js';
import { ownLog, RateLimitedLog, type Log } from './logger.js';
import { encodeJson, jsonRejectedSpans } from './otlp-json.js';
import { sendWithRetry, type SendOutcome } from './transport.js';
import { SDK_VERSION } from './version.js';

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

const CONTENT_TYPE: Record<BentoProtocol, string> = {
  'http/protobuf': 'application/x-protobuf',
  'http/json': 'application/json',
};

/** Spans the endpoint accepted, and how many it lost (failed for good or rejected). */
export interface ExportTally {
  exported: number;
  rejected: number;
}

/**
 * A `SpanExporter` for users who run their own OpenTelemetry `TracerProvider`.
 * Resolves options at construction, so it throws `BentoAuthError` without a valid key.
 * @example
 * const provider = new BasicTracerProvider({
 *   spanProcessors: [new BatchSpanProcessor(new BentoLabsTraceExporter({ apiKey: 'bl_pk_...' }))],
 * });
 */
export class BentoLabsTraceExporter implements SpanExporter {
  readonly options: Readonly<ResolvedOptions>;
  private protocol: BentoProtocol;
  private inFlight = new Set<Promise<unknown>>();
  private stopped = false;
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
  private readonly authLog: RateLimitedLog;
  private readonly tooLargeLog: RateLimitedLog;
  private readonly failLog: RateLimitedLog;

  constructor(options: BentoOptions = {}) {
    this.options = resolveOptions(options);
    this.log = ownLog(this.options.logLevel, this.options.logger);
    this.protocol = this.options.protocol;
    // A batch of 512 spans the endpoint refuses one by one must not print 512 lines.
    this.tooLargeLog = new RateLimitedLog(
      'warn',
      10_000,
      (n) =>
        `A single span was too large for the endpoint (413) and was dropped (${n} since the last report); ` +
        'lower maxAttributeValueLength.',
      this.log,
    );
    this.failLog = new RateLimitedLog(
      'warn',
      10_000,
      (n) =>
        `${n} export request(s) failed; last: ${this.lastOutcome?.error ?? 'unknown'}. ` +
        'Spans in them were dropped and counted (see status()).',
      this.log,
    );
    this.authLog = new RateLimitedLog(
      'error',
      60_000,
      (n) =>
        `BentoLabs rejected the API key ${redactKey(this.options.apiKey)} (HTTP ${this.lastOutcome?.httpStatus}, ` +
        `${n} request(s)) at ${this.options.tracesUrl}. Check that BENTOLABS_API_KEY is the public key (bl_pk_…) of ` +
        'the project you expect, and that BENTOLABS_BASE_URL points at its region.',
      this.log,
    );
  }

  /** The encoding in use now: `http/json` after the endpoint refused protobuf. */
  get currentProtocol(): BentoProtocol {
    return this.protocol;
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

  /** Exports and says exactly how many spans were accepted and how many were lost. Never rejects. */
  exportWithTally(spans: ReadableSpan[]): Promise<ExportTally> {
    if (this.stopped || spans.length === 0) return Promise.resolve({ exported: 0, rejected: spans.length });
    // Suppressed, so a host's HTTP instrumentation neither records our request as a span of its
    // trace nor injects its `traceparent` header into it.
    const deadline = Date.now() + this.options.exportTimeoutMillis;
    const work = context
      .with(suppressTracing(context.active()), () => this.send(spans, deadline))
      .catch((error: unknown) => {
        this.log.error(`Unexpected export error: ${String(error)}`);
        return { exported: 0, rejected: spans.length };
      });
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
    return work;
  }

  private async send(spans: ReadableSpan[], deadline: number): Promise<ExportTally> {
    const protocol = this.protocol;
    const body =
      protocol === 'http/json'
        ? encodeJson(spans)
        : ProtobufTraceSerializer.serializeRequest(spans as OtelReadableSpan[]);
    if (!body) return { exported: 0, rejected: spans.length };
    if (body.byteLength > this.options.maxExportRequestBytes && spans.length > 1) {
      // Split before sending: proxies and collectors commonly refuse bodies past a few MiB.
      return this.sendHalves(spans, deadline);
    }
    const outcome = await sendWithRetry(
      this.options.tracesUrl,
      body,
      {
        Authorization: `Bearer ${this.options.apiKey}`,
        'Content-Type': CONTENT_TYPE[protocol],
        'User-Agent': `bentolabs-sdk-node/${SDK_VERSION}`,
      },
      deadline,
      (error) => (this.lastAttemptError = this.redact(error)),
    );
    this.counts.requests++;
    this.record(outcome, spans.length, protocol);
    if (outcome.ok) {
      this.lastAttemptError = undefined;
      const rejected = this.partialRejections(outcome, protocol);
      return { exported: spans.length - rejected, rejected };
    }

    if (outcome.status === 415 && protocol === 'http/protobuf') {
      this.protocol = 'http/json';
      this.log.once(
        'info',
        `json-fallback:${this.options.tracesUrl}`,
        `${this.options.tracesUrl} answered 415 to protobuf; sending OTLP JSON from now on.`,
      );
      return this.send(spans, deadline);
    }
    if (outcome.status === 413 && spans.length > 1) {
      const half = Math.ceil(spans.length / 2);
      this.log.info(`Endpoint answered 413 to ${spans.length} spans; retrying as two smaller requests.`);
      const first = await this.send(spans.slice(0, half), deadline);
      const second = await this.send(spans.slice(half), deadline);
      return { exported: first.exported + second.exported, rejected: first.rejected + second.rejected };
    }
    this.counts.failedRequests++;
    if (outcome.status === 401 || outcome.status === 403) this.authLog.hit();
    else if (outcome.status === 413) this.tooLargeLog.hit();
    else this.failLog.hit();
    return { exported: 0, rejected: spans.length };
  }

  private async sendHalves(spans: ReadableSpan[], deadline: number): Promise<ExportTally> {
    const half = Math.ceil(spans.length / 2);
    const first = await this.send(spans.slice(0, half), deadline);
    const second = await this.send(spans.slice(half), deadline);
    return { exported: first.exported + second.exported, rejected: first.rejected + second.rejected };
  }

  /** OTLP partial success: the endpoint took the request but rejected some spans in it. */
  private partialRejections(outcome: SendOutcome, protocol: BentoProtocol): number {
    if (!outcome.body || outcome.body.length === 0) return 0;
    try {
      let rejected: number;
      let message: string | undefined;
      if (protocol === 'http/json') ({ rejected, message } = jsonRejectedSpans(outcome.body));
      else {
        const response = ProtobufTraceSerializer.deserializeResponse(outcome.body);
        rejected = Number(response.partialSuccess?.rejectedSpans ?? 0);
        message = response.partialSuccess?.errorMessage;
      }
      if (rejected > 0)
        this.log.warn(
          `Endpoint rejected ${rejected} span(s): ${message === undefined ? 'no reason given' : this.redact(String(message))}`,
        );
      return Number.isFinite(rejected) && rejected > 0 ? rejected : 0;
    } catch {
      return 0;
    }
  }

  /** Gateways echo the Authorization header in error bodies; those bodies reach status() and logs. */
  private redact(text: string): string {
    return text.split(this.options.apiKey).join(redactKey(this.options.apiKey));
  }

  private record(outcome: SendOutcome, spans: number, protocol: BentoProtocol): void {
    const error = outcome.error === undefined ? undefined : this.redact(outcome.error);
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
    await Promise.all([...this.inFlight]);
  }

  async shutdown(): Promise<void> {
    await this.forceFlush();
    this.stopped = true;
    for (const l of [this.authLog, this.failLog, this.tooLargeLog]) l.close();
  }
}
