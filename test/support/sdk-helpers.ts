/**
 * Test helpers shared by every suite that runs the SDK in-process: a `logger` option that
 * remembers what the SDK said, and an environment sandbox (the SDK reads BENTOLABS_* and the
 * serverless platform variables, so each test starts from a clean slate).
 */
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { shutdown, type BentoLogger } from '../../src/index.js';
import { OtlpReceiver } from './receiver.js';

export interface CapturedLog extends BentoLogger {
  lines: { level: string; message: string }[];
  at(level: string): string[];
  matching(level: string, pattern: RegExp): string[];
}

/** A `logger` option that remembers every line. */
export function captureLogger(): CapturedLog {
  const lines: { level: string; message: string }[] = [];
  const push = (level: string) => (message: string) => void lines.push({ level, message });
  const at = (level: string) => lines.filter((l) => l.level === level).map((l) => l.message);
  return {
    lines,
    debug: push('debug'),
    info: push('info'),
    warn: push('warn'),
    error: push('error'),
    at,
    matching: (level, pattern) => at(level).filter((m) => pattern.test(m)),
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
  'LAMBDA_TASK_ROOT',
  'VERCEL',
  'VERCEL_ENV',
  'NETLIFY',
  'FUNCTION_TARGET',
  'FUNCTION_NAME',
  'K_SERVICE',
  'FUNCTIONS_WORKER_RUNTIME',
];

/** Clears the variables the SDK reads; returns a function that restores them. */
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

/**
 * The hooks every in-process test file needs, registered once: one real receiver for the file, a clean
 * BENTOLABS_* environment and a cleared, healthy receiver before each test, and the SDK shut down and the
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
    receiver?.setFault(undefined);
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
