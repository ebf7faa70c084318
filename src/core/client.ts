/**
 * The SDK's single running instance: a private tracer (tracer.ts) with one
 * `BentoLabsSpanProcessor`, created by `init()` or lazily by the first recording call. It is
 * never registered globally, so the host's `trace.getTracer()` never reaches it and ours never
 * reaches the host's exporters.
 */
import {
  disabledByEnvironment,
  redactKey,
  resolveLogSettings,
  resolveOptions,
  type BentoOptions,
  type ResolvedOptions,
} from './config.js';
import { asyncContextProblem } from './context.js';
import { BentoAuthError, BentoConfigError } from './errors.js';
import { configFindings } from './config-warnings.js';
import { endStraySpans } from './exit-report.js';
import { attachExitHooks } from './exit-hooks.js';
import { shared } from './global.js';
import { configureLogger, log, resetOnce } from './logger.js';
import { describeSpans, strayOpenSpans } from './open-spans.js';
import { BentoLabsSpanProcessor, type FlushResult } from './processor.js';
import { epochNow, settleWithin } from './timers.js';
import { BentoTracer } from './tracer.js';
import { SDK_VERSION } from './version.js';
import { resetWarnings, warnOnce } from './warnings.js';

const NO_ENV_FALLBACK = '; the environment is not used in place of the options init() was given';

export interface Client {
  readonly options: Readonly<ResolvedOptions>;
  readonly processor: BentoLabsSpanProcessor;
  readonly tracer: BentoTracer;
  readonly startedAt: number;
}

interface State {
  client: Client | undefined;
  /** `init({ enabled: false })` or BENTOLABS_ENABLED=false: recording calls are no-ops. */
  disabled: boolean;
  /** Why the last (lazy or explicit) initialisation failed; shown by `status()`. */
  initError: Error | undefined;
  /** Lazy initialisation is tried once; after a failure only `init()` tries again. */
  lazyTried: boolean;
  /** Options of the last init() that failed, so status() can still say where spans would go. */
  failedOptions?: BentoOptions;
  /** The running client was started by a recording call, from the environment alone. */
  startedLazily?: boolean;
  detachExitHooks: (() => void) | undefined;
}

// Shared by the ESM and CommonJS copies of the SDK (see global.ts).
const state: State = shared<State>('client', () => ({
  client: undefined,
  disabled: false,
  initError: undefined,
  lazyTried: false,
  detachExitHooks: undefined,
}));

function start(options: Readonly<ResolvedOptions>): Client {
  const processor = new BentoLabsSpanProcessor(options);
  // Every span is sampled; no OTEL_* variable (meant for the host) applies to our spans.
  const tracer = new BentoTracer(
    processor,
    {
      attributeCountLimit: 4096,
      attributeValueLengthLimit: options.maxAttributeValueLength + 64,
      eventCountLimit: 1024,
    },
    {
      'service.name': options.serviceName,
      'telemetry.sdk.name': '@bentolabs/sdk',
      'telemetry.sdk.language': 'nodejs',
      'telemetry.sdk.version': SDK_VERSION,
    },
    '@bentolabs/sdk',
    SDK_VERSION,
  );
  const client: Client = { options, processor, tracer, startedAt: Date.now() };
  try {
    if (options.flushOnExit)
      state.detachExitHooks = attachExitHooks(processor, { flushMillis: options.exitFlushTimeoutMillis });
  } catch {
    // Next's edge sandbox has a `process.on` that throws "A Node.js API is used": no exit to hook.
  }
  return client;
}

/**
 * Starts the SDK. Optional: the first recording call initialises from the environment. Throws
 * `BentoAuthError`/`BentoConfigError` for unusable options; calling it again with the same key
 * and URL is a no-op, with others it throws `already_initialized` (call `shutdown()` first).
 * @example
 * init({ apiKey: process.env.BENTOLABS_API_KEY, baseUrl: 'http://localhost:8080' });
 */
export function init(options: BentoOptions = {}): void {
  initialise(options, false);
}

function initialise(options: BentoOptions, lazily: boolean): void {
  try {
    // Before anything can fail, so a failed (lazy) init logs at the level and to the sink asked
    // for now, not to whatever an earlier, shut-down run configured. A running client keeps its own.
    if (!state.client) {
      const logSettings = resolveLogSettings(options);
      configureLogger(logSettings.level, logSettings.logger);
    }
    if (disabledByEnvironment(options)) {
      if (state.client)
        throw new BentoAuthError(
          'already_initialized',
          'init({ enabled: false }) while the SDK is running; call shutdown() first.',
        );
      state.disabled = true;
      state.initError = undefined;
      return;
    }
    if (asyncContextProblem)
      throw new BentoConfigError('unsupported_runtime', 'AsyncLocalStorage', asyncContextProblem);
    const resolved = resolveOptions(options);
    if (state.client) {
      const running = state.client.options;
      if (running.apiKey === resolved.apiKey && running.baseUrl === resolved.baseUrl) {
        if (state.startedLazily && !lazily) replaceLazyClient(resolved);
        else warnAboutIgnoredOptions(running, resolved);
        return;
      }
      throw new BentoAuthError(
        'already_initialized',
        `init() was called again with other credentials (key ${redactKey(resolved.apiKey)}, ${resolved.baseUrl}) ` +
          `while running with key ${redactKey(running.apiKey)}, ${running.baseUrl}. ` +
          'Call shutdown() before init() to rotate them.',
      );
    }
    configureLogger(resolved.logLevel, resolved.logger);
    warnAboutConfiguration(resolved, options);
    state.client = start(resolved);
    state.startedLazily = lazily;
    state.disabled = false;
    state.initError = undefined;
    state.failedOptions = undefined;
    log.debug(`Initialised: ${resolved.tracesUrl}, key ${redactKey(resolved.apiKey)}, ${resolved.protocol}.`);
  } catch (error) {
    if (!(error instanceof BentoAuthError && error.code === 'already_initialized')) {
      state.initError = error as Error;
      state.failedOptions = options;
      // An explicit init() that failed (a bad key the caller caught and ignored) must not be
      // replaced by a lazy start from the environment's key: recording stays off, and says so.
      if (!lazily) state.lazyTried = true;
    }
    throw error;
  }
}

const COMPARED: (keyof ResolvedOptions)[] = [
  'protocol',
  'logLevel',
  'logger',
  'userId',
  'sessionId',
  'tags',
  'maxQueueSize',
  'scheduledDelayMillis',
  'maxExportBatchSize',
  'exportTimeoutMillis',
  'maxAttributeValueLength',
  'maxExportRequestBytes',
  'flushOnExit',
  'exitFlushTimeoutMillis',
  'serviceName',
];

/**
 * The common order "a recording call at import time, `init({ userId, tags })` in app set-up" must
 * not lose the configuration: the client the first call started from the environment makes way
 * for the configured one, and finishes exporting what it holds in the background.
 */
function replaceLazyClient(resolved: Readonly<ResolvedOptions>): void {
  const old = state.client;
  state.detachExitHooks?.();
  state.detachExitHooks = undefined;
  configureLogger(resolved.logLevel, resolved.logger);
  state.client = start(resolved);
  state.startedLazily = false;
  log.debug('init() replaced the client that the first recording call had started from the environment.');
  void old?.tracer.shutdown().catch(() => undefined);
}

function warnAboutIgnoredOptions(running: Readonly<ResolvedOptions>, resolved: Readonly<ResolvedOptions>): void {
  const changed = COMPARED.filter(
    (key) =>
      running[key] !== resolved[key] &&
      !(Array.isArray(running[key]) && JSON.stringify(running[key]) === JSON.stringify(resolved[key])),
  );
  if (changed.length > 0) {
    log.warn(
      `init() was called again with the same key and URL but other ${changed.join(', ')}; ` +
        'they are ignored while the SDK runs. Call shutdown() before init() to change them.',
    );
  }
}

/** Configuration that works but is probably wrong: said once at init, with the fix (and in status()). */
function warnAboutConfiguration(resolved: Readonly<ResolvedOptions>, options: BentoOptions): void {
  for (const f of configFindings(resolved, options)) warnOnce(f.code, `${f.message} ${f.fix}`);
}

/** The running client, initialising lazily from the environment on first use; `undefined` = no-op. */
export function getClient(): Client | undefined {
  if (state.client) return state.client;
  if (state.disabled) return undefined;
  if (state.lazyTried) {
    if (state.initError)
      warnOnce(
        'not_initialised',
        `Not initialised, so nothing is recorded: ${state.initError.message} Recording calls are no-ops until init() ` +
          `succeeds${explicitOptions(state.failedOptions) ? NO_ENV_FALLBACK : ''}.`,
      );
    return undefined;
  }
  state.lazyTried = true;
  try {
    initialise({}, true);
  } catch (error) {
    if (state.disabled) return undefined;
    // A recording call must never throw into the host: say once why nothing will be sent.
    warnOnce(
      'not_initialised',
      `Not initialised, so nothing is recorded: ${(error as Error).message} Recording calls are no-ops until init() succeeds.`,
    );
    return undefined;
  }
  return state.client;
}

/** An init() that was given options (not a lazy start from the environment alone). */
function explicitOptions(options: BentoOptions | undefined): boolean {
  return options !== undefined && Object.keys(options).length > 0;
}

/** Whether recording calls do anything right now (for cheap early exits). */
export function peekClient(): Client | undefined {
  return state.client;
}

export function initState(): {
  initialised: boolean;
  disabled: boolean;
  initError: Error | undefined;
  lazyTried: boolean;
  failedOptions: BentoOptions | undefined;
} {
  return {
    initialised: state.client !== undefined,
    disabled: state.disabled,
    initError: state.initError,
    lazyTried: state.lazyTried,
    failedOptions: state.failedOptions,
  };
}

/** `timeoutMillis` of a flush/shutdown argument; anything unreadable means "not given". */
function timeoutOf(options: unknown): number | undefined {
  try {
    const t = (options as { timeoutMillis?: unknown } | null | undefined)?.timeoutMillis;
    return typeof t === 'number' ? t : undefined;
  } catch {
    return undefined;
  }
}

const NOT_RUNNING: FlushResult = { ok: true, exported: 0, dropped: 0 };

/**
 * Exports everything recorded before the call. Resolves (never rejects) when it is delivered,
 * dropped, or `timeoutMillis` (default `exportTimeoutMillis`) passed.
 * @example
 * const { ok, dropped } = await flush({ timeoutMillis: 2000 });
 */
export async function flush(options: { timeoutMillis?: number } = {}): Promise<FlushResult> {
  const client = state.client;
  // Not running because initialisation failed: what the caller recorded went nowhere, say so.
  if (!client)
    return state.initError && !state.disabled
      ? { ok: false, exported: 0, dropped: 0, error: `not initialised: ${state.initError.message}` }
      : NOT_RUNNING;
  try {
    return withOpenSpans(await client.processor.flush(timeoutOf(options)));
  } catch (error) {
    return { ok: false, exported: 0, dropped: 0, error: String(error) };
  }
}

/**
 * Spans still open are not exported until they end: a flush that leaves some behind that nobody
 * will end (not the caller's own enclosing trajectory, not an adapter invocation's) is not `ok`.
 */
function withOpenSpans(result: FlushResult): FlushResult {
  const strays = strayOpenSpans();
  if (strays.length === 0) return result;
  const open = `${strays.length} span(s) still open (${describeSpans(strays)}) are not exported until they finish`;
  return { ...result, ok: false, error: result.error ? `${result.error}; ${open}` : open };
}

/**
 * Flushes, then stops the SDK. A later recording call initialises it again from the environment,
 * and `init()` may then use other credentials.
 * @example
 * process.on('SIGTERM', () => void shutdown());
 */
export async function shutdown(options: { timeoutMillis?: number } = {}): Promise<FlushResult> {
  const client = state.client;
  state.client = undefined;
  state.startedLazily = false;
  state.disabled = false;
  state.lazyTried = false;
  state.initError = undefined;
  state.detachExitHooks?.();
  state.detachExitHooks = undefined;
  // Spans left open would never be exported once the tracer stops: end and deliver them.
  if (client) endStraySpans('at shutdown()');
  // "Logged once" means once per run: a re-initialised SDK may say it again.
  resetOnce();
  resetWarnings();
  if (!client) return NOT_RUNNING;
  const startedAt = epochNow();
  const budget = client.processor.timeoutFor(timeoutOf(options));
  const result = await client.processor
    .flush(budget)
    .catch((e: unknown) => ({ ok: false, exported: 0, dropped: 0, error: String(e) }));
  // The processor's shutdown waits for exports still in flight (up to exportTimeoutMillis each):
  // bounded by what is left of the caller's budget, they finish in the background past it.
  await settleWithin(client.tracer.shutdown(), Math.max(0, budget - (epochNow() - startedAt)));
  return result;
}
