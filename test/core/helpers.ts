/**
 * Shared pieces of the core tests: a capturing logger, an environment sandbox (the SDK reads
 * `process.env`, so every test starts from a clean BENTOLABS_* slate), and waiting on a condition
 * instead of sleeping.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, expect } from 'vitest';
import type { ReceivedSpan } from '../../src/dev/otlp.js';
import { flush } from '../../src/index.js';
import type { OtlpReceiver } from '../support/receiver.js';

import { useReceiver } from '../support/sdk-helpers.js';

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

/** Flushes (expecting nothing lost) and returns what `receiver` got so far, by span name. */
export async function deliveredByName(receiver: OtlpReceiver): Promise<Map<string, ReceivedSpan>> {
  const result = await flush();
  expect(result).toMatchObject({ ok: true, dropped: 0 });
  return new Map(receiver.spans.map((s) => [s.name, s]));
}

/** The span called `name`, or an error listing the names there are. */
export function one(spans: Map<string, ReceivedSpan>, name: string): ReceivedSpan {
  const span = spans.get(name);
  if (!span) throw new Error(`no span "${name}" among ${[...spans.keys()].join(', ')}`);
  return span;
}

/** One turn of the event loop. */
export const nextTurn = (): Promise<void> => new Promise<void>((resolve) => setImmediate(resolve));

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * For tests that run the built SDK in child processes: fails the file early when dist/ is missing,
 * and gives it one receiver, cleared and healthy before each test (the SDK itself runs in the child).
 */
export function useReceiverForChildren(): OtlpReceiver {
  beforeAll(() => {
    if (!existsSync(`${ROOT}dist/index.js`) || !existsSync(`${ROOT}dist/index.cjs`))
      throw new Error('dist/ is missing: run `npx tsup` before this test');
  });
  return useReceiver({ shutdownAfterEach: false });
}
