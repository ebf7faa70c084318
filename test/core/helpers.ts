/**
 * Shared pieces of the core tests: a capturing logger, an environment sandbox (the SDK reads
 * `process.env`, so every test starts from a clean BENTOLABS_* slate), and waiting on a condition
 * instead of sleeping.
 */
export { captureLogger, sandboxEnv, useReceiver, type CapturedLog } from '../support/sdk-helpers.js';

export const KEY = 'bl_pk_test_0123456789abcd';
export const OTHER_KEY = 'bl_pk_test_zyxwvutsrqp9876';

/** Waits (by polling on the event loop, never a fixed sleep) until `check` holds. */
export async function until(check: () => boolean, what: string, timeoutMillis = 5000): Promise<void> {
  // performance.now(), not Date.now(): tests that fake Date must still time out.
  const started = performance.now();
  while (!check()) {
    if (performance.now() - started > timeoutMillis) throw new Error(`Timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export const HEX16 = /^[0-9a-f]{16}$/;
