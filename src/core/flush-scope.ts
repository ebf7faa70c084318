/**
 * The flush at the end of one invocation: the SDK's own spans of that invocation, and those of a
 * user's `BentoLabsSpanProcessor` (the adapters' `processor` option), waited for side by side
 * within one budget and reported as one result.
 */
import type { FlushableProcessor } from './adapter-options.js';
import { flush, peekClient } from './client.js';
import type { FlushResult } from './processor.js';
import { realClearTimeout, realSetTimeout, type Timer } from './timers.js';

function failed(error: unknown): FlushResult {
  return { ok: false, exported: 0, dropped: 0, error: String(error) };
}

/** A user's processor: ours waits for the invocation's own spans; any other gets `forceFlush()` within the budget. */
function flushProcessor(
  processor: FlushableProcessor,
  scope: object | undefined,
  timeoutMillis: number,
): Promise<FlushResult> {
  try {
    const own = processor as { flushInvocation?: unknown; flush?: unknown };
    if (scope && typeof own.flushInvocation === 'function')
      return (processor as { flushInvocation(s: object, t: number): Promise<FlushResult> })
        .flushInvocation(scope, timeoutMillis)
        .catch(failed);
    if (typeof own.flush === 'function')
      return (processor as { flush(t: number): Promise<FlushResult> }).flush(timeoutMillis).catch(failed);
    let timer: Timer | undefined;
    const timedOut = new Promise<FlushResult>((resolve) => {
      timer = realSetTimeout(
        () =>
          resolve({
            ok: false,
            exported: 0,
            dropped: 0,
            error: `timeout: forceFlush() of the processor took over ${timeoutMillis} ms`,
          }),
        timeoutMillis,
      );
    });
    const done = Promise.resolve(processor.forceFlush()).then(
      (): FlushResult => ({ ok: true, exported: 0, dropped: 0 }),
      failed,
    );
    return Promise.race([done, timedOut]).finally(() => realClearTimeout(timer));
  } catch (error) {
    return Promise.resolve(failed(error));
  }
}

/**
 * Flushes what one invocation recorded (`scope` is the key the processors know it by; without
 * one, everything) into the SDK's client and `extra`. `undefined` when there is nothing to flush.
 */
export async function flushScope(
  scope: object | undefined,
  extra: FlushableProcessor | undefined,
  timeoutMillis: number,
): Promise<FlushResult | undefined> {
  const client = peekClient();
  const jobs: Promise<FlushResult>[] = [];
  if (client)
    jobs.push(scope ? client.processor.flushInvocation(scope, timeoutMillis).catch(failed) : flush({ timeoutMillis }));
  if (extra) jobs.push(flushProcessor(extra, scope, timeoutMillis));
  if (jobs.length === 0) return undefined;
  const results = await Promise.all(jobs);
  if (results.length === 1) return results[0];
  const errors = results.map((r) => r.error).filter((e): e is string => e !== undefined);
  return {
    ok: results.every((r) => r.ok),
    exported: results.reduce((n, r) => n + r.exported, 0),
    dropped: results.reduce((n, r) => n + r.dropped, 0),
    ...(errors.length > 0 && { error: errors.join('; ') }),
  };
}
