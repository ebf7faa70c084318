/**
 * Checking one option value: the error that names the option, what was expected and what was got.
 * No environment access here (config.ts is the only reader of `process.env`).
 */
import { BentoConfigError } from './errors.js';
import type { IdentitySource } from './config.js';

export function describe(value: unknown): string {
  if (typeof value === 'string') return `\`${value}\``;
  if (value === null) return 'null';
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'object') return Array.isArray(value) ? 'an array' : 'an object';
  return `${typeof value} \`${String(value)}\``;
}

export function invalid(option: string, expected: string, got: unknown, envName?: string): BentoConfigError {
  const source = envName ? ` (from ${envName})` : '';
  return new BentoConfigError(
    'invalid_option',
    option,
    `Expected \`${option}\`${source} to be ${expected}, got ${describe(got)}.`,
  );
}

export function resolveCount(
  option: string,
  explicit: unknown,
  fallback: number,
  min = 1,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (explicit === undefined) return fallback;
  if (typeof explicit !== 'number' || !Number.isInteger(explicit) || explicit < min || explicit > max) {
    throw invalid(
      option,
      max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer from ${min} to ${max}`,
      explicit,
    );
  }
  return explicit;
}

export function resolveSource<T>(
  option: string,
  explicit: unknown,
  check: (v: unknown) => boolean,
  expected: string,
): IdentitySource<T> | undefined {
  if (explicit === undefined || typeof explicit === 'function' || check(explicit))
    return explicit as IdentitySource<T> | undefined;
  throw invalid(option, expected, explicit);
}

export const isStringArray = (v: unknown) => Array.isArray(v) && v.every((t) => typeof t === 'string');
