/**
 * Real time (timers.ts): a wrapped handler with an unreachable endpoint resolves within
 * `flushTimeoutMillis` while a test runner's fake timers are installed (vitest `vi.useFakeTimers()`,
 * `@sinonjs/fake-timers`, `node:test` `mock.timers`). On 0.1 the flush's timeout and the exporter's
 * retry backoff used the faked `setTimeout`, so the handler never resolved.
 *
 * The export timeout is a minute, so only the flush timeout (a real timer) can end these flushes:
 * resolving at all, with a `timeout` result, is the proof. No assertion on elapsed time.
 */
import { createServer } from 'node:net';
import { mock } from 'node:test';
import middy from '@middy/core';
import FakeTimers from '@sinonjs/fake-timers';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { bentoMiddleware } from '../../src/adapters/middy.js';
import { flush, init, runInvocation, shutdown, toolSpan, trackAi } from '../../src/index.js';
import { captureLogger, KEY, sandboxEnv, useReceiver, type CapturedLog } from './helpers.js';

// Taken before any test fakes them: the test's own watchdog must keep real time.
const setRealTimeout = globalThis.setTimeout;
const clearRealTimeout = globalThis.clearTimeout;

/** Resolves with `promise`, or rejects after `millis` of real time (a hang fails the test, not the run). */
function withinRealTime<T>(promise: Promise<T>, millis: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setRealTimeout(() => reject(new Error(`${what} did not resolve within ${millis} ms`)), millis);
    promise.then(
      (v) => {
        clearRealTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearRealTimeout(timer);
        reject(e);
      },
    );
  });
}

/** A 127.0.0.1 port nobody listens on: every connection is refused, so the exporter keeps retrying. */
async function refusedUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

interface Faker {
  install(): void;
  uninstall(): void;
}

const fakers: [string, () => Faker][] = [
  [
    'vitest vi.useFakeTimers()',
    () => ({
      install: () => vi.useFakeTimers(),
      uninstall: () => vi.useRealTimers(),
    }),
  ],
  [
    '@sinonjs/fake-timers install()',
    () => {
      let clock: { uninstall(): void } | undefined;
      return {
        // Everything but nextTick and queueMicrotask (as vitest does): with those faked too, Node's
        // own streams and sockets stop, for the host's code as much as for ours.
        install: () => {
          clock = FakeTimers.install({ toNotFake: ['nextTick', 'queueMicrotask'] });
        },
        uninstall: () => clock?.uninstall(),
      };
    },
  ],
  [
    'node:test mock.timers.enable()',
    () => ({
      install: () => mock.timers.enable({ apis: ['setTimeout', 'setInterval', 'setImmediate', 'Date'] }),
      uninstall: () => mock.timers.reset(),
    }),
  ],
];

const FLUSH_TIMEOUT_MILLIS = 300;
// Generous, so a slow machine never fails the test; a hang (0.1) is caught by it.
const WATCHDOG_MILLIS = 15_000;

describe.each(fakers)('under %s', (_name, make) => {
  let faker: Faker;
  let logger: CapturedLog;
  let restoreEnv: () => void;

  beforeEach(async () => {
    restoreEnv = sandboxEnv();
    logger = captureLogger();
    init({ apiKey: KEY, baseUrl: await refusedUrl(), logLevel: 'warn', logger, exportTimeoutMillis: 60_000 });
    faker = make();
    faker.install();
  });
  afterEach(async () => {
    faker.uninstall();
    // Not awaited: the client stops at once, and its last export keeps retrying the refused port
    // in the background for a few seconds (shutdown() waits for that; the next test need not).
    void shutdown({ timeoutMillis: 100 });
    restoreEnv();
  });

  it('a Middy-wrapped handler resolves with its result after the flush gives up', async () => {
    const handler = middy(async (event: { q: string }) => {
      trackAi({ event: 'fake-timers-llm', input: event.q });
      return { answer: 42 };
    }).use(bentoMiddleware({ flushTimeoutMillis: FLUSH_TIMEOUT_MILLIS }));
    const context = {
      awsRequestId: 'req-fake-timers',
      functionName: 'fn',
      getRemainingTimeInMillis: () => 60_000,
    };
    const result = await withinRealTime(
      handler({ q: 'hi' }, context as never) as Promise<unknown>,
      WATCHDOG_MILLIS,
      'the Middy handler',
    );
    expect(result).toEqual({ answer: 42 });
    expect(logger.matching('warn', /Flush before freeze incomplete: 0 exported, 0 dropped \(timeout/)).toHaveLength(1);
  });

  it('runInvocation() with a deadline computed from the faked Date.now() still flushes within flushTimeoutMillis', async () => {
    const value = await withinRealTime(
      runInvocation(() => toolSpan('fake-timers-tool', {}, () => 'done'), {
        deadline: Date.now() + 60_000,
        flushTimeoutMillis: FLUSH_TIMEOUT_MILLIS,
      }),
      WATCHDOG_MILLIS,
      'runInvocation()',
    );
    expect(value).toBe('done');
    // The deadline was read on the host's (fake) clock and kept as "a minute from now": no
    // "no time left" shortcut, a real flush attempt that timed out.
    expect(logger.matching('warn', /No time left/)).toEqual([]);
    expect(logger.matching('warn', /Flush before freeze incomplete: .*timeout/)).toHaveLength(1);
  });

  it('flush() itself resolves to a timeout result', async () => {
    trackAi({ event: 'fake-timers-direct' });
    const result = await withinRealTime(flush({ timeoutMillis: FLUSH_TIMEOUT_MILLIS }), WATCHDOG_MILLIS, 'flush()');
    expect(result).toMatchObject({ ok: false, exported: 0 });
    expect(result.error).toMatch(/^timeout: 1 span\(s\) still pending after 300 ms/);
  });
});

describe.each(fakers)('a batch larger than one encoding slice, under %s', (_name, make) => {
  const receiver = useReceiver();

  it('is encoded slice by slice on real time and delivered whole', async () => {
    // 40 spans of 16 KB each: one request of ~640 KB, encoded in several slices with a turn of the
    // event loop between them. With that turn taken on the faked setImmediate the export never ends.
    init({ apiKey: KEY, baseUrl: receiver.url, logLevel: 'warn', logger: captureLogger() });
    for (let i = 0; i < 40; i++) trackAi({ event: `slice-${i}`, input: 'x'.repeat(16 * 1024) });
    const faker = make();
    faker.install();
    try {
      const result = await withinRealTime(flush({ timeoutMillis: 10_000 }), WATCHDOG_MILLIS, 'flush()');
      expect(result).toMatchObject({ ok: true, exported: 40, dropped: 0 });
    } finally {
      faker.uninstall();
    }
    expect(await receiver.waitForSpans(40)).toHaveLength(40);
  });
});
