/**
 * Option resolution: the only module that reads `process.env`. Every option resolves as
 * `explicit argument ?? environment ?? default`, written once per field.
 */
import { API_KEY_PREFIX, apiKeyProblem, redactKey } from './api-key.js';
import { BentoAuthError, BentoConfigError } from './errors.js';
import { describe, invalid, isStringArray, resolveCount, resolveSource } from './option-values.js';
import { LOG_LEVELS, type BentoLogger, type LogLevel } from './logger.js';
import { packageName } from './package-name.js';

export type { BentoOptions, BentoProtocol, IdentitySource, ResolvedOptions } from './options.js';
import type { BentoOptions, BentoProtocol, ResolvedOptions } from './options.js';

export const DEFAULT_BASE_URL = 'https://api.bentolabs.ai';
export { API_KEY_PREFIX, redactKey } from './api-key.js';

function env(name: string): string | undefined {
  const value = typeof process !== 'undefined' ? process.env[name] : undefined;
  // An exported-but-empty variable (`BENTOLABS_BASE_URL=`) means "unset", as in most SDKs.
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

/** A whole-number variable as a number (an unreadable one is kept as text, so the error shows it). */
function envCount(name: string): number | string | undefined {
  const raw = env(name);
  return raw === undefined ? undefined : /^\d+$/.test(raw) ? Number(raw) : raw;
}

/**
 * Variables read outside option resolution (doctor, CLI, deployment warnings). Listed here so
 * that this module stays the only reader of `process.env`.
 */
export type OtherEnvName =
  | 'BENTOLABS_BASE_URL'
  | 'BENTOLABS_PROTOCOL'
  | 'BENTOLABS_ENABLED'
  | 'NODE_ENV'
  | 'AWS_LAMBDA_FUNCTION_NAME'
  | 'LAMBDA_TASK_ROOT'
  | '_HANDLER'
  | 'NO_COLOR'
  | 'FORCE_COLOR';

/** The trimmed value of one of the variables above; unset or empty is `undefined`. */
export function environmentValue(name: OtherEnvName): string | undefined {
  return env(name);
}

function resolveApiKey(explicit: unknown): string {
  if (explicit !== undefined && typeof explicit !== 'string') {
    throw new BentoAuthError(
      'invalid_api_key_format',
      `Expected \`apiKey\` to be a string starting with \`${API_KEY_PREFIX}\`, got ${describe(explicit)}.`,
    );
  }
  const key = explicit ?? env('BENTOLABS_API_KEY');
  if (key === undefined || key === '') {
    throw new BentoAuthError(
      'missing_api_key',
      'No API key: pass `apiKey` to init() or set BENTOLABS_API_KEY in the environment of this process ' +
        '(a key set in your shell profile does not reach processes started elsewhere).',
    );
  }
  const problem = apiKeyProblem(key);
  if (problem) {
    const from = explicit === undefined ? ' (from BENTOLABS_API_KEY)' : '';
    throw new BentoAuthError(
      'invalid_api_key_format',
      `Expected the API key${from} ${problem}; got ${redactKey(key)}.`,
    );
  }
  return key;
}

function resolveBaseUrl(explicit: unknown): string {
  if (explicit !== undefined && typeof explicit !== 'string') throw invalid('baseUrl', 'a string URL', explicit);
  const fromEnv = explicit === undefined ? env('BENTOLABS_BASE_URL') : undefined;
  const raw = explicit ?? fromEnv ?? DEFAULT_BASE_URL;
  const source = fromEnv !== undefined ? ' (from BENTOLABS_BASE_URL)' : '';
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  // `localhost:8080` parses as a URL whose scheme is `localhost:`, so the scheme check does both jobs.
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new BentoConfigError(
      'invalid_base_url',
      'baseUrl',
      `Expected \`baseUrl\`${source} to start with http:// or https://, got \`${raw}\`.`,
    );
  }
  if (url.search || url.hash) {
    throw new BentoConfigError(
      'invalid_base_url',
      'baseUrl',
      `Expected \`baseUrl\`${source} without a query or fragment, got \`${raw}\`.`,
    );
  }
  // A URL copied from an OTLP exporter setting already ends in /v1/traces; appending it again
  // would answer 405. Normalised here, and init() says so (see config-warnings.ts).
  return url.href.replace(/\/+$/, '').replace(/\/v1\/traces$/, '');
}

function resolveEnabled(explicit: unknown): boolean {
  if (explicit !== undefined && typeof explicit !== 'boolean') throw invalid('enabled', 'a boolean', explicit);
  if (explicit !== undefined) return explicit;
  const raw = env('BENTOLABS_ENABLED');
  if (raw === undefined) return true;
  const lower = raw.toLowerCase();
  if (['false', '0', 'no', 'off'].includes(lower)) return false;
  if (['true', '1', 'yes', 'on'].includes(lower)) return true;
  throw invalid('enabled', '`true`/`1`/`yes`/`on` or `false`/`0`/`no`/`off`', raw, 'BENTOLABS_ENABLED');
}

function resolveChoice<T extends string>(
  option: string,
  envName: string,
  allowed: readonly T[],
  explicit: unknown,
  fallback: T,
): T {
  const fromEnv = explicit === undefined ? env(envName) : undefined;
  const value = explicit ?? fromEnv?.toLowerCase() ?? fallback;
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw invalid(
      option,
      `one of ${allowed.map((a) => `\`${a}\``).join(', ')}`,
      value,
      fromEnv !== undefined ? envName : undefined,
    );
  }
  return value as T;
}

/** Longest delay Node's timers honour; a longer one fires after 1 ms (with a TimeoutOverflowWarning). */
export const MAX_TIMER_MILLIS = 2 ** 31 - 1;
/** Largest queue the SDK allocates (a million spans is already gigabytes). */
const MAX_QUEUE_SIZE = 2 ** 20;

function resolveServiceName(explicit: unknown): string {
  if (explicit !== undefined && (typeof explicit !== 'string' || explicit === ''))
    throw invalid('serviceName', 'a non-empty string', explicit);
  return (
    explicit ?? env('OTEL_SERVICE_NAME') ?? env('AWS_LAMBDA_FUNCTION_NAME') ?? packageName() ?? 'unknown_service:node'
  );
}

/**
 * Resolves options from arguments, then the environment, then defaults, without starting
 * anything. Throws `BentoAuthError` or `BentoConfigError` for values it cannot use.
 * @example
 * console.log(resolveOptions().baseUrl); // where spans would go from this process
 */
export function resolveOptions(options: BentoOptions = {}): Readonly<ResolvedOptions> {
  if (options === null || typeof options !== 'object') throw invalid('options', 'an object', options);
  // Disabled (tests, local runs) needs no key: a missing one resolves to '' instead of throwing.
  const enabled = resolveEnabled(options.enabled);
  const apiKey =
    !enabled && options.apiKey === undefined && env('BENTOLABS_API_KEY') === undefined
      ? ''
      : resolveApiKey(options.apiKey);
  const baseUrl = resolveBaseUrl(options.baseUrl);
  const maxQueueSize = resolveCount('maxQueueSize', options.maxQueueSize, 2048, 1, MAX_QUEUE_SIZE);
  // Only an explicit batch size above the queue size is an error; a small `maxQueueSize` alone
  // lowers the default batch size with it (as OpenTelemetry's batch processor does).
  const maxExportBatchSize = resolveCount(
    'maxExportBatchSize',
    options.maxExportBatchSize,
    Math.min(512, maxQueueSize),
  );
  if (maxExportBatchSize > maxQueueSize) {
    throw invalid('maxExportBatchSize', `at most \`maxQueueSize\` (${maxQueueSize})`, maxExportBatchSize);
  }
  if (
    options.logger !== undefined &&
    (typeof options.logger !== 'object' || options.logger === null || typeof options.logger.warn !== 'function')
  ) {
    throw invalid('logger', 'an object with debug/info/warn/error methods', options.logger);
  }
  if (options.flushOnExit !== undefined && typeof options.flushOnExit !== 'boolean')
    throw invalid('flushOnExit', 'a boolean', options.flushOnExit);
  const resolved = {
    baseUrl,
    tracesUrl: `${baseUrl}/v1/traces`,
    protocol: resolveChoice<BentoProtocol>(
      'protocol',
      'BENTOLABS_PROTOCOL',
      ['http/protobuf', 'http/json'],
      options.protocol,
      'http/protobuf',
    ),
    enabled,
    logLevel: resolveChoice<LogLevel>('logLevel', 'BENTOLABS_LOG_LEVEL', LOG_LEVELS, options.logLevel, 'warn'),
    logger: options.logger,
    userId: resolveSource<string>('userId', options.userId, (v) => typeof v === 'string', 'a string or a function'),
    sessionId: resolveSource<string>(
      'sessionId',
      options.sessionId,
      (v) => typeof v === 'string',
      'a string or a function',
    ),
    tags: resolveSource<string[]>('tags', options.tags, isStringArray, 'an array of strings or a function'),
    maxQueueSize,
    scheduledDelayMillis: resolveCount('scheduledDelayMillis', options.scheduledDelayMillis, 5000, 0, MAX_TIMER_MILLIS),
    maxExportBatchSize,
    exportTimeoutMillis: resolveCount('exportTimeoutMillis', options.exportTimeoutMillis, 10000, 1, MAX_TIMER_MILLIS),
    maxAttributeValueLength: resolveCount('maxAttributeValueLength', options.maxAttributeValueLength, 1024 * 1024, 16),
    maxExportRequestBytes: resolveCount('maxExportRequestBytes', options.maxExportRequestBytes, 4 * 1024 * 1024, 1024),
    flushOnExit: options.flushOnExit ?? true,
    exitFlushTimeoutMillis: resolveCount(
      'exitFlushTimeoutMillis',
      options.exitFlushTimeoutMillis ?? envCount('BENTOLABS_EXIT_FLUSH_TIMEOUT_MILLIS'),
      1500,
      0,
      MAX_TIMER_MILLIS,
    ),
    serviceName: resolveServiceName(options.serviceName),
  };
  // Non-enumerable, so `console.log(resolveOptions())` or a JSON dump of it never prints the key.
  Object.defineProperty(resolved, 'apiKey', { value: apiKey, enumerable: false });
  return Object.freeze(resolved as typeof resolved & { apiKey: string });
}

/**
 * What can be resolved without a usable key, for `status()` when initialisation failed: where
 * spans would go, how, and which key (redacted) the environment holds. Never throws.
 */
export function peekConfiguration(options: BentoOptions = {}): {
  baseUrl?: string;
  protocol?: BentoProtocol;
  keyPrefix?: string;
} {
  const out: { baseUrl?: string; protocol?: BentoProtocol; keyPrefix?: string } = {};
  try {
    out.baseUrl = resolveBaseUrl(options?.baseUrl);
  } catch {
    /* an invalid URL is the reason status() reports */
  }
  try {
    out.protocol = resolveChoice<BentoProtocol>(
      'protocol',
      'BENTOLABS_PROTOCOL',
      ['http/protobuf', 'http/json'],
      options?.protocol,
      'http/protobuf',
    );
  } catch {
    /* likewise */
  }
  const key = typeof options?.apiKey === 'string' ? options.apiKey : env('BENTOLABS_API_KEY');
  if (key) out.keyPrefix = redactKey(key);
  return out;
}

/**
 * The log level and sink before (or without) a full resolution, never throwing: a failed
 * initialisation must still log its reason at the level the user asked for, to the right sink.
 */
export function resolveLogSettings(options: BentoOptions = {}): { level: LogLevel; logger: BentoLogger | undefined } {
  let level: LogLevel = 'warn';
  try {
    level = resolveChoice<LogLevel>('logLevel', 'BENTOLABS_LOG_LEVEL', LOG_LEVELS, options?.logLevel, 'warn');
  } catch {
    /* an invalid level is reported by resolveOptions(); log at the default meanwhile */
  }
  const logger = options?.logger;
  const usable = typeof logger === 'object' && logger !== null && typeof logger.warn === 'function';
  return { level, logger: usable ? logger : undefined };
}

/** Whether the environment disables the SDK, read without requiring an API key. */
export function disabledByEnvironment(options: BentoOptions = {}): boolean {
  return !resolveEnabled(options?.enabled);
}

/**
 * The serverless platform this process runs on, from the variables each platform sets, or
 * `undefined` on a long-running server. Adapters hold responses until the flush only there.
 */
export function detectServerless():
  | 'aws_lambda'
  | 'vercel'
  | 'netlify'
  | 'gcp_functions'
  | 'azure_functions'
  | 'edge_runtime'
  | 'cloudflare_workers'
  | undefined {
  if (env('AWS_LAMBDA_FUNCTION_NAME') || env('LAMBDA_TASK_ROOT')) return 'aws_lambda';
  // Edge isolates are suspended between requests whatever the host: Vercel Edge and Next's edge
  // sandbox define `EdgeRuntime`; their process.env holds only what the build inlined.
  if (typeof (globalThis as { EdgeRuntime?: unknown }).EdgeRuntime === 'string') return 'edge_runtime';
  if ((globalThis as { navigator?: { userAgent?: unknown } }).navigator?.userAgent === 'Cloudflare-Workers')
    return 'cloudflare_workers';
  if (env('VERCEL') || env('VERCEL_ENV')) return 'vercel';
  if (env('NETLIFY')) return 'netlify';
  if (env('FUNCTION_TARGET') || env('FUNCTION_NAME') || env('K_SERVICE')) return 'gcp_functions';
  if (env('FUNCTIONS_WORKER_RUNTIME')) return 'azure_functions';
  return undefined;
}

/** What the Lambda adapter reads from the environment to choose how it delivers. */
export interface LambdaEnvironment {
  /** `host:port` of the Runtime API (and Extensions API); unset outside Lambda. */
  runtimeApi: string | undefined;
  /** Lambda Managed Instances: many concurrent invocations per process, no freeze between them. */
  managedInstances: boolean;
  /** `BENTOLABS_DELIVER_AFTER_RESPONSE`: `false`/`0` turns delivery after the response off. */
  deliverAfterResponse: boolean | undefined;
  /** `BENTOLABS_ENABLED=false` turns the whole SDK off, so there is nothing to deliver. */
  enabled: boolean;
}

export function lambdaEnvironment(): LambdaEnvironment {
  const raw = env('BENTOLABS_DELIVER_AFTER_RESPONSE')?.toLowerCase();
  let enabled = true;
  try {
    enabled = resolveEnabled(undefined);
  } catch {
    /* an invalid value is reported by resolveOptions() */
  }
  return {
    runtimeApi: env('AWS_LAMBDA_RUNTIME_API'),
    managedInstances:
      env('AWS_LAMBDA_MAX_CONCURRENCY') !== undefined ||
      env('AWS_LAMBDA_INITIALIZATION_TYPE') === 'lambda-managed-instances',
    deliverAfterResponse: raw === undefined ? undefined : !['false', '0', 'no', 'off'].includes(raw),
    enabled,
  };
}
