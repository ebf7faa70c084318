/**
 * Shared pieces of the reliability suite: a capturing logger, an environment sandbox, a guard
 * that fails a test if the host process ever saw an SDK exception, waiting for the pipeline to
 * go idle, and the conservation check every fault test ends with.
 */
import { expect } from 'vitest';
import { flush, status, type FlushResult } from '../../src/index.js';

export { captureLogger, sandboxEnv, useReceiver, type CapturedLog } from '../support/sdk-helpers.js';

export const KEY = 'bl_pk_test_reliability_0123456789wxyz';
export const KEY_TAIL = KEY.slice(-4);

/**
 * Records every `unhandledRejection`/`uncaughtException` the host process sees. Vitest has its
 * own handlers too; ours only observe, so a test can assert the list stayed empty.
 */
export function hostExceptionGuard(): { seen: unknown[]; install(): void; uninstall(): void } {
  const seen: unknown[] = [];
  const onRejection = (reason: unknown) => void seen.push(reason);
  const onException = (error: unknown) => void seen.push(error);
  return {
    seen,
    install() {
      process.on('unhandledRejection', onRejection);
      process.on('uncaughtException', onException);
    },
    uninstall() {
      process.off('unhandledRejection', onRejection);
      process.off('uncaughtException', onException);
    },
  };
}

/** Waits (polling on the event loop, never a fixed sleep) until `check` holds. */
export async function until(check: () => boolean, what: string, timeoutMillis = 10_000): Promise<void> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > timeoutMillis) throw new Error(`Timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Waits until no span's fate is open: nothing queued, nothing in an export request. */
export async function idle(timeoutMillis = 15_000): Promise<void> {
  await until(
    () => {
      const s = status();
      return s.queueLength === 0 && s.inFlight === 0;
    },
    'the pipeline to go idle',
    timeoutMillis,
  );
}

/**
 * Conservation, once idle: every recorded span was either accepted by the receiver (its own
 * count, not the SDK's) or dropped and counted. Nothing vanishes, nothing is counted twice.
 */
export function expectConserved(delivered: number): void {
  const s = status();
  expect(s.queueLength).toBe(0);
  expect(s.inFlight).toBe(0);
  expect(s.recorded).toBe(delivered + s.dropped);
  expect(s.exported).toBe(delivered);
  expect(s.dropped).toBe(s.droppedQueueFull + s.droppedExportFailed);
}

/**
 * `flush()` raced against a guard of 3x its timeout plus slack: the flush must win (resolve, not
 * reject, and not hang past its own timeout). Returns its result and how long it took.
 */
export async function boundedFlush(timeoutMillis: number): Promise<{ result: FlushResult; millis: number }> {
  const started = Date.now();
  let guard: NodeJS.Timeout | undefined;
  const guardPromise = new Promise<'guard'>((resolve) => {
    guard = setTimeout(() => resolve('guard'), timeoutMillis * 3 + 500);
  });
  const outcome = await Promise.race([flush({ timeoutMillis }), guardPromise]);
  clearTimeout(guard);
  if (outcome === 'guard')
    throw new Error(`flush({ timeoutMillis: ${timeoutMillis} }) did not resolve within ${timeoutMillis * 3 + 500} ms`);
  return { result: outcome, millis: Date.now() - started };
}
