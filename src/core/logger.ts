/**
 * The SDK's one internal logger. Core code never calls `console.*` directly: everything goes
 * through here so that `logLevel: 'silent'` really is silent and a custom `logger` sees it all.
 */
import { globalSlotProblem, shared } from './global.js';
import { epochNow, realClearTimeout, realSetTimeout, type Timer, unref } from './timers.js';

/** Log levels, most verbose first. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

/** Where SDK messages go; `console` by default. */
export interface BentoLogger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error', 'silent'];
const PREFIX = '[bentolabs]';

const consoleLogger: BentoLogger = {
  debug: (m) => console.debug(m),
  info: (m) => console.info(m),
  warn: (m) => console.warn(m),
  error: (m) => console.error(m),
};

/** A level and a sink. The SDK-wide one is shared by every copy of the SDK (see global.ts). */
interface LogTarget {
  threshold: number;
  sink: BentoLogger;
}

const sdkTarget = shared<LogTarget>('logger', () => ({ threshold: LOG_LEVELS.indexOf('warn'), sink: consoleLogger }));
// "Logged once" is per process and per run of the SDK (cleared by `shutdown()`), whichever copy logs.
const onceKeys = shared('logOnceKeys', () => new Set<string>());

/** Where one part of the SDK logs: the SDK-wide logger, or a low-level instance's own. */
export interface Log extends BentoLogger {
  enabled(level: Exclude<LogLevel, 'silent'>): boolean;
  /** Logs `message` only the first time `key` is seen in this process (until `resetOnce`). */
  once(level: Exclude<LogLevel, 'silent'>, key: string, message: string): void;
}

function createLog(target: LogTarget): Log {
  const emit = (level: Exclude<LogLevel, 'silent'>, message: string): void => {
    if (LOG_LEVELS.indexOf(level) < target.threshold) return;
    // A user-supplied logger that throws must not turn a log line into a host failure.
    try {
      target.sink[level](`${PREFIX} ${message}`);
    } catch {
      /* ignored on purpose */
    }
  };
  return {
    debug: (m) => emit('debug', m),
    info: (m) => emit('info', m),
    warn: (m) => emit('warn', m),
    error: (m) => emit('error', m),
    enabled: (level) => LOG_LEVELS.indexOf(level) >= target.threshold,
    once: (level, key, message) => {
      if (onceKeys.has(key)) return;
      onceKeys.add(key);
      emit(level, message);
    },
  };
}

/** The SDK-wide logger, configured by `init()` (and lazy initialisation) in whichever copy runs it. */
export const log: Log = createLog(sdkTarget);

/**
 * A logger of its own for a low-level instance (`new BentoLabsTraceExporter(...)`, `runDoctor`):
 * building one never reconfigures the SDK-wide logger.
 */
export function ownLog(level: LogLevel, logger?: BentoLogger): Log {
  return createLog({ threshold: LOG_LEVELS.indexOf(level), sink: logger ?? consoleLogger });
}

/** Points the SDK-wide logger at a level and sink; called by `init()` and lazy initialisation. */
export function configureLogger(level: LogLevel, logger?: BentoLogger): void {
  sdkTarget.threshold = LOG_LEVELS.indexOf(level);
  sdkTarget.sink = logger ?? consoleLogger;
  const problem = globalSlotProblem();
  if (problem) log.once('warn', 'global-slot', problem);
}

/** Logs a message through the SDK-wide logger only the first time `key` is seen (until `resetOnce`). */
export function logOnce(level: Exclude<LogLevel, 'silent'>, key: string, message: string): void {
  log.once(level, key, message);
}

export function resetOnce(): void {
  onceKeys.clear();
}

/**
 * Counts a repeated condition and logs it at most once per interval with the count, the way
 * OpenTelemetry's batch processor reports dropped spans. The first occurrence logs at once; the
 * ones suppressed after it are reported when the interval ends (an unref'd timer), so the count
 * of a burst is never lost just because nothing happened afterwards.
 */
export class RateLimitedLog {
  #pending = 0;
  #lastLogAt = 0;
  #trailing: Timer | undefined;
  readonly #level: Exclude<LogLevel, 'silent'>;
  readonly #intervalMillis: number;
  readonly #format: (count: number) => string;
  readonly #target: Log;
  readonly #onReport: ((count: number, message: string) => void) | undefined;

  constructor(
    level: Exclude<LogLevel, 'silent'>,
    intervalMillis: number,
    format: (count: number) => string,
    target: Log = log,
    /** Also told of every report, e.g. to list the condition in `status().warnings`. */
    onReport?: (count: number, message: string) => void,
  ) {
    this.#level = level;
    this.#intervalMillis = intervalMillis;
    this.#format = format;
    this.#target = target;
    this.#onReport = onReport;
  }

  hit(count = 1): void {
    this.#pending += count;
    const wait = this.#intervalMillis - (epochNow() - this.#lastLogAt);
    if (wait <= 0) {
      this.#report();
      return;
    }
    // Real time (a host's fake timers would hold the count back), and never keeping a process
    // alive for a log line.
    this.#trailing ??= unref(
      realSetTimeout(() => {
        this.#trailing = undefined;
        if (this.#pending > 0) this.#report();
      }, wait),
    );
  }

  /**
   * Ends this log's run: a count still waiting for its interval is reported now, to the logger of
   * the run it belongs to, instead of surfacing later in a re-initialised SDK's logger.
   */
  close(): void {
    if (this.#pending > 0) this.#report();
    if (this.#trailing) realClearTimeout(this.#trailing);
    this.#trailing = undefined;
  }

  #report(): void {
    if (this.#trailing) realClearTimeout(this.#trailing);
    this.#trailing = undefined;
    this.#lastLogAt = epochNow();
    const n = this.#pending;
    this.#pending = 0;
    const message = this.#format(n);
    this.#target[this.#level](message);
    this.#onReport?.(n, message);
  }
}
