/**
 * Shared setup of the fault-table files: a fresh receiver per test (its own URL, so hung sockets
 * and "logged once per URL" state stay local), a capturing logger, an environment sandbox, and a
 * guard that fails the test if the host process saw an exception. Each fault file runs in its own
 * process (vitest forks), so rate-limited log lines of one file never reach another's logger.
 */
import { afterAll, afterEach, beforeAll, beforeEach, expect } from 'vitest';
import { init, shutdown, trackAi, type BentoOptions } from '../../src/index.js';
import { OtlpReceiver } from '../support/receiver.js';
import { boundedFlush, captureLogger, hostExceptionGuard, idle, KEY, sandboxEnv, type CapturedLog } from './helpers.js';

// Small, so faults that need the export deadline to pass (hang, persistent 503) stay quick.
export const EXPORT_TIMEOUT = 1500;
// Comfortably past EXPORT_TIMEOUT: a flush this long sees the final fate of every span.
export const FLUSH_TIMEOUT = 4000;
export const SPANS_PER_ROUND = 4;

export interface FaultSuite {
  readonly receiver: OtlpReceiver;
  readonly logger: CapturedLog;
  start(extra?: BentoOptions): void;
  record(n?: number): void;
  /** Record, flush (bounded by a 3x guard), wait until idle; the flush result and the requests it caused. */
  round(flushTimeout?: number): Promise<{
    result: Awaited<ReturnType<typeof boundedFlush>>['result'];
    millis: number;
    requests: OtlpReceiver['requests'];
  }>;
}

export function faultSuite(): FaultSuite {
  let receiver: OtlpReceiver;
  let logger: CapturedLog;
  let restoreEnv: () => void;
  let serial = 0;
  const guard = hostExceptionGuard();

  beforeAll(() => guard.install());
  afterAll(() => guard.uninstall());
  beforeEach(async () => {
    restoreEnv = sandboxEnv();
    receiver = await OtlpReceiver.start();
    logger = captureLogger();
  });
  afterEach(async () => {
    receiver.setFault(undefined);
    await shutdown();
    await receiver.close();
    restoreEnv();
    // The host never saw an exception from the SDK, whatever the fault.
    expect(guard.seen).toEqual([]);
  });

  const suite: FaultSuite = {
    get receiver() {
      return receiver;
    },
    get logger() {
      return logger;
    },
    start(extra = {}) {
      init({
        apiKey: KEY,
        baseUrl: receiver.url,
        logger,
        logLevel: 'debug',
        exportTimeoutMillis: EXPORT_TIMEOUT,
        ...extra,
      });
    },
    record(n = SPANS_PER_ROUND) {
      for (let i = 0; i < n; i++) trackAi({ event: `fault-span-${serial++}`, input: 'q', output: 'a' });
    },
    async round(flushTimeout = FLUSH_TIMEOUT) {
      const before = receiver.requests.length;
      suite.record();
      const { result, millis } = await boundedFlush(flushTimeout);
      await idle();
      return { result, millis, requests: receiver.requests.slice(before) };
    },
  };
  return suite;
}
