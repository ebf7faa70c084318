/**
 * Shared pieces of the adapter tests: fixture paths, a capturing logger, and an environment
 * sandbox (serverless detection reads platform variables, so each test starts from a clean slate).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export { captureLogger, sandboxEnv, useReceiver, type CapturedLog } from '../support/sdk-helpers.js';

export const KEY = 'bl_pk_test_adapters_0000';
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const fixture = (name: string): string => path.join(ROOT, 'test', 'fixtures', 'adapters', name);

/** A promise with its resolve function, to hold a request at a known point. */
export function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}
