/**
 * Shared pieces of the adapter tests: fixture paths, a capturing logger, and an environment
 * sandbox (serverless detection reads platform variables, so each test starts from a clean slate).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BentoLogger } from '../../src/index.js';

export const KEY = 'bl_pk_test_adapters_0000';
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const fixture = (name: string): string => path.join(ROOT, 'test', 'fixtures', 'adapters', name);

export interface CapturedLog extends BentoLogger {
  at(level: string): string[];
}

export function captureLogger(): CapturedLog {
  const lines: { level: string; message: string }[] = [];
  const push = (level: string) => (message: string) => void lines.push({ level, message });
  return {
    debug: push('debug'),
    info: push('info'),
    warn: push('warn'),
    error: push('error'),
    at: (level) => lines.filter((l) => l.level === level).map((l) => l.message),
  };
}

const ENV_NAMES = [
  'BENTOLABS_API_KEY', 'BENTOLABS_BASE_URL', 'BENTOLABS_PROTOCOL', 'BENTOLABS_ENABLED', 'BENTOLABS_LOG_LEVEL',
  'AWS_LAMBDA_FUNCTION_NAME', 'LAMBDA_TASK_ROOT', 'VERCEL', 'VERCEL_ENV', 'NETLIFY', 'FUNCTION_TARGET',
  'FUNCTION_NAME', 'K_SERVICE', 'FUNCTIONS_WORKER_RUNTIME',
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

/** A promise with its resolve function, to hold a request at a known point. */
export function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}
