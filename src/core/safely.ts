/**
 * The one guard around every adapter hook. A hook's own failure (a response whose getter throws,
 * a body stream that is already locked, a bug of ours) must never become the request's failure or
 * replace the handler's error: it is logged, and `fallback` does the least the hook owes the
 * request (usually: close the invocation so its spans are still flushed). Middy's executor does
 * the same for its hooks, keeping a hook's error off the handler's path.
 */
import { log } from './logger.js';

/** Whether `v` is a promise-like; a value whose `then` cannot even be read (a revoked Proxy) is not. */
export const isThenable = (v: unknown): v is PromiseLike<unknown> => {
  try {
    return (
      v !== null &&
      (typeof v === 'object' || typeof v === 'function') &&
      typeof (v as { then?: unknown }).then === 'function'
    );
  } catch {
    return false;
  }
};

function report(label: string, error: unknown): void {
  log.warn(`${label} failed; the request is not affected: ${String(error)}`);
}

/** Runs `fallback`, which must not throw either; its failure is logged and `undefined` returned. */
function fallbackOf<T>(label: string, fallback: (() => T) | undefined): T | undefined {
  if (!fallback) return undefined;
  try {
    const value = fallback();
    if (isThenable(value))
      return Promise.resolve(value).catch((error: unknown) => void report(`${label} (fallback)`, error)) as T;
    return value;
  } catch (error) {
    report(`${label} (fallback)`, error);
    return undefined;
  }
}

/**
 * Runs `hook`; if it throws or its promise rejects, logs `label` with the error and returns what
 * `fallback` returns instead. Never throws and never rejects.
 * @example
 * after: (request) => safely('bentoMiddleware() after', () => close(request), () => undefined),
 */
export function safely<T>(label: string, hook: () => T, fallback?: () => T): T | undefined {
  try {
    const value = hook();
    if (!isThenable(value)) return value;
    return Promise.resolve(value).then(
      (v) => v,
      (error: unknown) => {
        report(label, error);
        return fallbackOf(label, fallback);
      },
    ) as T;
  } catch (error) {
    report(label, error);
    return fallbackOf(label, fallback);
  }
}
