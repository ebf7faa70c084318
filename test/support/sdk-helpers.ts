/**
 * Test helpers shared by every suite that runs the SDK in-process: a `logger` option that
 * remembers what the SDK said, and an environment sandbox (the SDK reads BENTOLABS_* and the
 * serverless platform variables, so each test starts from a clean slate).
 */
import type { BentoLogger } from '../../src/index.js';

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
  'BENTOLABS_API_KEY', 'BENTOLABS_BASE_URL', 'BENTOLABS_PROTOCOL', 'BENTOLABS_ENABLED', 'BENTOLABS_LOG_LEVEL',
  'OTEL_SERVICE_NAME', 'AWS_LAMBDA_FUNCTION_NAME', 'LAMBDA_TASK_ROOT', 'VERCEL', 'VERCEL_ENV', 'NETLIFY',
  'FUNCTION_TARGET', 'FUNCTION_NAME', 'K_SERVICE', 'FUNCTIONS_WORKER_RUNTIME',
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
