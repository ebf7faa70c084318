/**
 * Diagnostics that must not be missed: each is logged once per run at `warn` (the default level)
 * with its fix, and stays listed in `status().warnings` with a count, so a user who did not see
 * the log line (a Lambda log group nobody reads, a silenced logger) still finds it.
 */
import { shared } from './global.js';
import { log } from './logger.js';

/** One condition the SDK noticed, as `status().warnings` lists it. */
export interface BentoWarning {
  /** Stable identifier, e.g. `provider_missing`, `lambda_unwrapped`. */
  code: string;
  /** The first message, with the fix. */
  message: string;
  /** How often the condition was seen since init. */
  count: number;
  /** When it was first seen (ISO 8601). */
  firstSeen: string;
}

// In the global slot: the ESM and CommonJS copies of the SDK report into one list (see global.ts).
const seen = shared('warnings', () => new Map<string, BentoWarning>());

/**
 * Reports a condition: the first time a `key` is seen (per run) it is logged at warn and listed;
 * later times only count. `key` defaults to `code`; pass a narrower one (e.g. per model and
 * provider pair) when each variant deserves its own line.
 */
export function warnOnce(code: string, message: string, key: string = code): void {
  const known = seen.get(key);
  if (known) {
    known.count++;
    return;
  }
  seen.set(key, { code, message, count: 1, firstSeen: new Date().toISOString() });
  log.warn(message);
}

/**
 * Lists a condition that logs itself (a rate-limited log such as "Queue full") without logging it
 * again: `count` occurrences are added, and the latest message is kept.
 */
export function noteWarning(code: string, message: string, count = 1): void {
  const known = seen.get(code);
  if (known) {
    known.count += count;
    known.message = message;
    return;
  }
  seen.set(code, { code, message, count, firstSeen: new Date().toISOString() });
}

/** Everything reported since init, oldest first (copies: callers cannot change the record). */
export function listWarnings(): BentoWarning[] {
  return [...seen.values()].map((w) => ({ ...w }));
}

/** A new run (shutdown, then init) says everything again. */
export function resetWarnings(): void {
  seen.clear();
}
