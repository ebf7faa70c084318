/**
 * The SDK's one internal logger. Core code never calls `console.*` directly: everything goes
 * through here so that `logLevel: 'silent'` really is silent and a custom `logger` sees it all.
 */

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

let sink: BentoLogger = consoleLogger;
let threshold = LOG_LEVELS.indexOf('warn');

/** Points the logger at a level and sink; called by `init()` and lazy initialisation. */
export function configureLogger(level: LogLevel, logger?: BentoLogger): void {
  threshold = LOG_LEVELS.indexOf(level);
  sink = logger ?? consoleLogger;
}

function emit(level: Exclude<LogLevel, 'silent'>, message: string): void {
  if (LOG_LEVELS.indexOf(level) < threshold) return;
  // A user-supplied logger that throws must not turn a log line into a host failure.
  try {
    sink[level](`${PREFIX} ${message}`);
  } catch {
    /* ignored on purpose */
  }
}

export const log = {
  debug: (m: string) => emit('debug', m),
  info: (m: string) => emit('info', m),
  warn: (m: string) => emit('warn', m),
  error: (m: string) => emit('error', m),
  enabled: (level: Exclude<LogLevel, 'silent'>) => LOG_LEVELS.indexOf(level) >= threshold,
};

const onceKeys = new Set<string>();

/** Logs a message only the first time `key` is seen in this process (until `resetOnce`). */
export function logOnce(level: Exclude<LogLevel, 'silent'>, key: string, message: string): void {
  if (onceKeys.has(key)) return;
  onceKeys.add(key);
  emit(level, message);
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
  private pending = 0;
  private lastLogAt = 0;
  private trailing: ReturnType<typeof setTimeout> | undefined;
  constructor(
    private readonly level: Exclude<LogLevel, 'silent'>,
    private readonly intervalMillis: number,
    private readonly format: (count: number) => string,
  ) {}

  hit(count = 1): void {
    this.pending += count;
    const wait = this.intervalMillis - (Date.now() - this.lastLogAt);
    if (wait <= 0) {
      this.report();
      return;
    }
    this.trailing ??= setTimeout(() => {
      this.trailing = undefined;
      if (this.pending > 0) this.report();
    }, wait);
    // Never keep a process alive for a log line.
    this.trailing.unref?.();
  }

  /**
   * Ends this log's run: a count still waiting for its interval is reported now, to the logger of
   * the run it belongs to, instead of surfacing later in a re-initialised SDK's logger.
   */
  close(): void {
    if (this.pending > 0) this.report();
    if (this.trailing) clearTimeout(this.trailing);
    this.trailing = undefined;
  }

  private report(): void {
    if (this.trailing) clearTimeout(this.trailing);
    this.trailing = undefined;
    this.lastLogAt = Date.now();
    const n = this.pending;
    this.pending = 0;
    emit(this.level, this.format(n));
  }
}
