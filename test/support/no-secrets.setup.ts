/**
 * Runs before every test file: whatever the code under test prints to the console during the
 * whole suite is checked for a full API key. The SDK may show `bl_pk_…` plus the last four
 * characters, never more; a leak fails the file it happened in, naming the line.
 */
import { inspect } from 'node:util';
import { afterAll } from 'vitest';

// `bl_pk_` followed by key characters; the SDK's redaction puts `…` right after the prefix.
const FULL_KEY = /bl_pk_[A-Za-z0-9_-]{6,}/;
const leaks: string[] = [];

for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
  const original = console[method];
  console[method] = (...args: unknown[]) => {
    const text = args.map((a) => (typeof a === 'string' ? a : inspect(a, { depth: 4 }))).join(' ');
    if (FULL_KEY.test(text)) leaks.push(`console.${method}: ${text.slice(0, 300)}`);
    original.apply(console, args);
  };
}

afterAll(() => {
  if (leaks.length > 0) throw new Error(`A full API key was printed to the console:\n${leaks.join('\n')}`);
});
