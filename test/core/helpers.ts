/**
 * Shared pieces of the core tests: a capturing logger, an environment sandbox (the SDK reads
 * `process.env`, so every test starts from a clean BENTOLABS_* slate), and waiting on a condition
 * instead of sleeping.
 */
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { shutdown } from '../../src/index.js';
import { sandboxEnv } from '../support/sdk-helpers.js';
import { OtlpReceiver } from '../support/receiver.js';

export { captureLogger, sandboxEnv, type CapturedLog } from '../support/sdk-helpers.js';

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

/**
 * The hooks every core test file needs, registered once: one real receiver for the file, a clean
 * BENTOLABS_* environment and a cleared receiver before each test, and the SDK shut down and the
 * environment restored after it. Returns the receiver (usable from the first hook on).
 */
export function useReceiver(options: { shutdownAfterEach?: boolean } = {}): OtlpReceiver {
  let receiver: OtlpReceiver | undefined;
  let restoreEnv: () => void = () => undefined;
  beforeAll(async () => {
    receiver = await OtlpReceiver.start();
  });
  afterAll(async () => {
    await receiver?.close();
  });
  beforeEach(() => {
    restoreEnv = sandboxEnv();
    receiver?.clear();
  });
  afterEach(async () => {
    if (options.shutdownAfterEach ?? true) await shutdown();
    restoreEnv();
  });
  // The receiver starts in beforeAll; this stand-in lets files hold it in a top-level const.
  return new Proxy({} as OtlpReceiver, {
    get(_target, key) {
      if (!receiver) throw new Error('the receiver is not started yet (use it inside a hook or a test)');
      const value: unknown = Reflect.get(receiver, key, receiver);
      return typeof value === 'function' ? value.bind(receiver) : value;
    },
  });
}
