/**
 * Shared pieces of the core tests: a capturing logger, an environment sandbox (the SDK reads
 * `process.env`, so every test starts from a clean BENTOLABS_* slate), and waiting on a condition
 * instead of sleeping.
 */
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { shutdown, type BentoLogger } from '../../src/index.js';
import { OtlpReceiver } from '../support/receiver.js';

export const KEY = 'bl_pk_test_0123456789abcd';
export const OTHER_KEY = 'bl_pk_test_zyxwvutsrqp9876';

export interface CapturedLog extends BentoLogger {
  lines: { level: string; message: string }[];
  at(level: string): string[];
}

/** A `logger` option that remembers every line. */
export function captureLogger(): CapturedLog {
  const lines: { level: string; message: string }[] = [];
  const push = (level: string) => (message: string) => void lines.push({ level, message });
  return {
    lines,
    debug: push('debug'),
    info: push('info'),
    warn: push('warn'),
    error: push('error'),
    at: (level) => lines.filter((l) => l.level === level).map((l) => l.message),
  };
}

const ENV_NAMES = [
  'BENTOLABS_API_KEY',
  'BENTOLABS_BASE_URL',
  'BENTOLABS_PROTOCOL',
  'BENTOLABS_ENABLED',
  'BENTOLABS_LOG_LEVEL',
  'OTEL_SERVICE_NAME',
  'AWS_LAMBDA_FUNCTION_NAME',
];

/** Clears the SDK's variables; returns a function that restores them. */
export function sandboxEnv(): () => void {
  const saved = new Map(ENV_NAMES.map((n) => [n, process.env[n]]));
  for (const n of ENV_NAMES) delete process.env[n];
  return () => {
    for (const [n, v] of saved) {
      if (v === undefined) delete process.env[n];
      else process.env[n] = v;
    }
  };
}

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
