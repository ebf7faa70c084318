/**
 * The option types of `init()`, `resolveOptions()` and the low-level classes, and their resolved
 * form. Resolution itself (the one reader of the environment) is config.ts.
 */
import type { BentoLogger, LogLevel } from './logger.js';

/** A value, or a zero-argument function evaluated for every span (a throwing one is ignored). */
export type IdentitySource<T> = T | (() => T | undefined);

/** Wire encoding of OTLP/HTTP requests. */
export type BentoProtocol = 'http/protobuf' | 'http/json';

/** Options of `init()`, `resolveOptions()`, `BentoLabsSpanProcessor` and `BentoLabsTraceExporter`. */
export interface BentoOptions {
  /** API key, starting with `bl_pk_`. Env: `BENTOLABS_API_KEY`. Required. */
  apiKey?: string;
  /** Where spans go; `/v1/traces` is appended. Env: `BENTOLABS_BASE_URL`. @default 'https://api.bentolabs.ai' */
  baseUrl?: string;
  /** OTLP encoding. Env: `BENTOLABS_PROTOCOL`. @default 'http/protobuf' */
  protocol?: BentoProtocol;
  /** `false` turns every call into a cheap no-op. Env: `BENTOLABS_ENABLED` (`false`/`0` disables). @default true */
  enabled?: boolean;
  /** Threshold of the SDK's own log lines. Env: `BENTOLABS_LOG_LEVEL`. @default 'warn' */
  logLevel?: LogLevel;
  /** Receives the SDK's log lines instead of `console`. */
  logger?: BentoLogger;
  /** Default `gen_ai.user.id` for every span. */
  userId?: IdentitySource<string>;
  /** Default `gen_ai.conversation.id` for every span. */
  sessionId?: IdentitySource<string>;
  /** Default `langfuse.tags` for every span. */
  tags?: IdentitySource<string[]>;
  /** Spans held before the oldest is dropped. @default 2048 */
  maxQueueSize?: number;
  /** Delay between scheduled exports. @default 5000 */
  scheduledDelayMillis?: number;
  /** Spans per export request; an export starts as soon as this many wait. @default 512 */
  maxExportBatchSize?: number;
  /** Time one export request may take, retries included. @default 10000 */
  exportTimeoutMillis?: number;
  /** Longest attribute value in characters; longer ones are truncated with a marker. @default 1048576 */
  maxAttributeValueLength?: number;
  /** Largest request body; bigger batches are split before sending. @default 4194304 (4 MiB) */
  maxExportRequestBytes?: number;
  /** Flush on `beforeExit`, `SIGTERM` and `SIGINT`. @default true */
  flushOnExit?: boolean;
  /**
   * Longest time the exit hooks keep a process alive to deliver what is queued (an endpoint that
   * is down cannot hold a script's exit longer; with the time to encode what is queued, a script
   * ends within ~2 s). Env: `BENTOLABS_EXIT_FLUSH_TIMEOUT_MILLIS`. @default 1500
   */
  exitFlushTimeoutMillis?: number;
  /**
   * `service.name` of the resource. Env: `OTEL_SERVICE_NAME`, then `AWS_LAMBDA_FUNCTION_NAME`, then the
   * `name` of the nearest package.json above the working directory. @default 'unknown_service:node'
   */
  serviceName?: string;
}

/** Options after resolution: every field has its final value. */
export interface ResolvedOptions {
  readonly apiKey: string;
  readonly baseUrl: string;
  readonly tracesUrl: string;
  readonly protocol: BentoProtocol;
  readonly enabled: boolean;
  readonly logLevel: LogLevel;
  readonly logger: BentoLogger | undefined;
  readonly userId: IdentitySource<string> | undefined;
  readonly sessionId: IdentitySource<string> | undefined;
  readonly tags: IdentitySource<string[]> | undefined;
  readonly maxQueueSize: number;
  readonly scheduledDelayMillis: number;
  readonly maxExportBatchSize: number;
  readonly exportTimeoutMillis: number;
  readonly maxAttributeValueLength: number;
  readonly maxExportRequestBytes: number;
  readonly flushOnExit: boolean;
  readonly exitFlushTimeoutMillis: number;
  readonly serviceName: string;
}
