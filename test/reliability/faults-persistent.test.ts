/**
 * Fault table, persistent faults (every request fails): retried where worth it, then dropped AND
 * counted, logged once per interval, `flush()` bounded and never rejecting, no exception reaching
 * the host, and conservation `recorded === delivered (receiver's count) + dropped` once idle.
 */
import { describe, expect, it } from 'vitest';
import { flush, init, shutdown, status } from '../../src/index.js';
import type { Fault } from '../support/receiver.js';
import { faultSuite, FLUSH_TIMEOUT, SPANS_PER_ROUND, EXPORT_TIMEOUT } from './fault-suite.js';
import { boundedFlush, captureLogger, expectConserved, idle, KEY_TAIL } from './helpers.js';

const t = faultSuite();

const FAILED_EXPORT = /export request\(s\) failed; last: /;
const AUTH = /rejected the API key/;

interface PersistentCase {
  name: string;
  fault: Fault;
  /** More than one request per round (the same batch sent again)? */
  retried: boolean;
  /** Requests per round, when exact. */
  requestsPerRound?: number;
  /** The one log line the failure produces: once, then counted until the interval ends. */
  log: { level: 'warn' | 'error'; pattern: RegExp };
  /** What `status().lastExport` shows; the log line carries the same text. */
  lastExport: { httpStatus?: number; error: RegExp };
}

const persistent: PersistentCase[] = [
  // 500 is not in the retryable set (429/502/503/504 and network errors): final at once.
  {
    name: 'HTTP 500',
    fault: { kind: 'status', status: 500, body: 'boom' },
    retried: false,
    requestsPerRound: 1,
    log: { level: 'warn', pattern: FAILED_EXPORT },
    lastExport: { httpStatus: 500, error: /HTTP 500: boom/ },
  },
  {
    name: 'HTTP 502',
    fault: { kind: 'status', status: 502 },
    retried: true,
    log: { level: 'warn', pattern: FAILED_EXPORT },
    lastExport: { httpStatus: 502, error: /HTTP 502/ },
  },
  {
    name: 'HTTP 503',
    fault: { kind: 'status', status: 503 },
    retried: true,
    log: { level: 'warn', pattern: FAILED_EXPORT },
    lastExport: { httpStatus: 503, error: /HTTP 503/ },
  },
  {
    name: 'HTTP 504',
    fault: { kind: 'status', status: 504 },
    retried: true,
    log: { level: 'warn', pattern: FAILED_EXPORT },
    lastExport: { httpStatus: 504, error: /HTTP 504/ },
  },
  // Retry-After 1 s inside a 1.5 s budget: exactly one retry, after the server's delay.
  {
    name: 'HTTP 429 with Retry-After: 1',
    fault: { kind: 'status', status: 429, retryAfter: '1' },
    retried: true,
    requestsPerRound: 2,
    log: { level: 'warn', pattern: FAILED_EXPORT },
    lastExport: { httpStatus: 429, error: /Retry-After 1000 ms is past the export deadline/ },
  },
  // Retry-After past the budget: not retried at all, and the error says why.
  {
    name: 'HTTP 429 with Retry-After: 30',
    fault: { kind: 'status', status: 429, retryAfter: '30' },
    retried: false,
    requestsPerRound: 1,
    log: { level: 'warn', pattern: FAILED_EXPORT },
    lastExport: { httpStatus: 429, error: /Retry-After 30000 ms is past the export deadline/ },
  },
  {
    name: 'HTTP 401',
    fault: { kind: 'status', status: 401, body: 'unauthorized' },
    retried: false,
    requestsPerRound: 1,
    log: { level: 'error', pattern: AUTH },
    lastExport: { httpStatus: 401, error: /HTTP 401/ },
  },
  {
    name: 'HTTP 403',
    fault: { kind: 'status', status: 403, body: 'forbidden' },
    retried: false,
    requestsPerRound: 1,
    log: { level: 'error', pattern: AUTH },
    lastExport: { httpStatus: 403, error: /HTTP 403/ },
  },
  // Protobuf refused, then JSON refused too: one fallback request in round 1, JSON only after.
  {
    name: 'HTTP 415 to every encoding',
    fault: { kind: 'status', status: 415 },
    retried: true,
    requestsPerRound: 2,
    log: { level: 'warn', pattern: FAILED_EXPORT },
    lastExport: { httpStatus: 415, error: /HTTP 415/ },
  },
  // No answer: the single attempt waits out the whole export budget; nothing is left to retry with.
  {
    name: 'hang (until exportTimeoutMillis)',
    fault: { kind: 'hang' },
    retried: false,
    requestsPerRound: 1,
    log: { level: 'warn', pattern: FAILED_EXPORT },
    lastExport: { error: /request timed out after \d+ ms/ },
  },
  {
    name: 'connection reset mid-request',
    fault: { kind: 'reset' },
    retried: true,
    log: { level: 'warn', pattern: FAILED_EXPORT },
    lastExport: { error: /read ECONNRESET|EPIPE/ },
  },
  {
    name: 'body accepted, socket closed without an answer',
    fault: { kind: 'close-without-answer' },
    retried: true,
    log: { level: 'warn', pattern: FAILED_EXPORT },
    lastExport: { error: /socket hang up/ },
  },
];

describe('persistent faults: retried where worth it, then dropped AND counted, logged once', () => {
  for (const c of persistent) {
    it(`${c.name}: ${c.retried ? 'retried' : 'not retried'}, dropped and counted, one ${c.log.level} line`, async () => {
      t.start();
      t.receiver.setFault(c.fault);

      const first = await t.round();
      // Dropped, counted, and reported by the flush result (not as a timeout) and by status().
      expect(first.result).toMatchObject({ ok: false, exported: 0, dropped: SPANS_PER_ROUND });
      expect(first.result.error).not.toMatch(/^timeout/);
      expect(first.millis).toBeLessThan(FLUSH_TIMEOUT);
      if (c.requestsPerRound !== undefined) expect(first.requests).toHaveLength(c.requestsPerRound);
      if (c.retried) expect(first.requests.length).toBeGreaterThan(1);
      else expect(first.requests).toHaveLength(1);
      // Never more attempts than the transport allows (6), whatever the fault.
      expect(first.requests.length).toBeLessThanOrEqual(6);
      expect(t.receiver.spans).toHaveLength(0);
      const s = status();
      expect(s.droppedExportFailed).toBe(SPANS_PER_ROUND);
      expect(s.lastExport?.ok).toBe(false);
      if (c.lastExport.httpStatus !== undefined) expect(s.lastExport?.httpStatus).toBe(c.lastExport.httpStatus);
      expect(s.lastExport?.error).toMatch(c.lastExport.error);
      expectConserved(t.receiver.spans.length);

      // A second failing round inside the rate-limit interval: counted, not logged again.
      const second = await t.round();
      expect(second.result).toMatchObject({ ok: false, dropped: SPANS_PER_ROUND });
      if (c.requestsPerRound !== undefined && c.fault.kind !== 'status')
        expect(second.requests).toHaveLength(c.requestsPerRound);
      // Lines of this run only: an earlier test's rate-limited summary may arrive meanwhile.
      const mine = t.logger.matching(c.log.level, c.log.pattern).filter((l) => c.lastExport.error.test(l));
      expect(mine).toHaveLength(1);
      expect(status().droppedExportFailed).toBe(2 * SPANS_PER_ROUND);
      expectConserved(t.receiver.spans.length);
    });
  }

  it('401/403: the log line names the redacted key, the endpoint, the status and the fix', async () => {
    t.start();
    t.receiver.setFault({ kind: 'status', status: 401 });
    await t.round();
    const [line] = t.logger.matching('error', AUTH);
    expect(line).toContain(`bl_pk_…${KEY_TAIL}`);
    expect(line).toContain(`${t.receiver.url}/v1/traces`);
    expect(line).toMatch(/HTTP 401/);
    expect(line).toMatch(/BENTOLABS_API_KEY/);
    expect(line).toMatch(/BENTOLABS_BASE_URL/);
  });

  it('HTTP 413 for every size: split down to single spans, each dropped and counted, the warning rate-limited', async () => {
    t.start();
    t.receiver.setFault({ kind: 'status', status: 413 });
    const first = await t.round();
    expect(first.result).toMatchObject({ ok: false, exported: 0, dropped: SPANS_PER_ROUND });
    // Halving 4 spans: 4 -> 2+2 -> 1+1+1+1 = 7 requests; every span was tried alone.
    expect(first.requests).toHaveLength(2 * SPANS_PER_ROUND - 1);
    expect(first.requests.filter((r) => r.spans.length === 1)).toHaveLength(SPANS_PER_ROUND);
    expectConserved(t.receiver.spans.length);
    await t.round();
    expectConserved(t.receiver.spans.length);
    // CONVENTIONS: a repeated condition is logged once per interval with its count. A batch of 512
    // spans the endpoint refuses must not print 512 lines.
    expect(t.logger.matching('warn', /too large/).length).toBeLessThanOrEqual(1);
  });

  it('hang: a flush shorter than the export budget resolves at its own timeout; the spans are then dropped and counted', async () => {
    t.start();
    t.receiver.setFault({ kind: 'hang' });
    t.record();
    const { result, millis } = await boundedFlush(200);
    expect(result).toMatchObject({ ok: false, exported: 0, dropped: 0 });
    expect(result.error).toMatch(/^timeout: 4 span\(s\) still pending after 200 ms/);
    expect(millis).toBeLessThan(EXPORT_TIMEOUT);
    expect(status().inFlight).toBe(SPANS_PER_ROUND);
    await idle();
    expect(status().droppedExportFailed).toBe(SPANS_PER_ROUND);
    expectConserved(t.receiver.spans.length);
  });

  it('connection refused (endpoint gone): retried until the deadline, dropped and counted, one warning', async () => {
    const url = t.receiver.url;
    await t.receiver.close();
    init({
      apiKey: 'bl_pk_test_refused_00000000',
      baseUrl: url,
      logger: t.logger,
      logLevel: 'debug',
      exportTimeoutMillis: EXPORT_TIMEOUT,
    });
    t.record();
    const { result } = await boundedFlush(FLUSH_TIMEOUT);
    expect(result).toMatchObject({ ok: false, exported: 0, dropped: SPANS_PER_ROUND });
    expect(result.error).toMatch(/ECONNREFUSED/);
    expect(t.logger.matching('debug', /failed after [2-6] attempt\(s\): ECONNREFUSED/)).toHaveLength(1);
    expect(t.logger.matching('warn', /export request\(s\) failed; last: ECONNREFUSED/)).toHaveLength(1);
    await idle();
    expectConserved(0);
  });
});

describe('the fault logs end with their run', () => {
  it('after shutdown(), a suppressed (rate-limited) count is not reported later into the next run', async () => {
    // 401 is not retried and flush resolves on its own; the auth log's interval is 60 s of real time
    // (the SDK's own timers), so the count held back must be reported by shutdown(), to this run.
    const first = captureLogger();
    const oldKey = 'bl_pk_test_rotated_away_OLDK';
    init({ apiKey: oldKey, baseUrl: t.receiver.url, logger: first, logLevel: 'warn' });
    t.receiver.setFault({ kind: 'status', status: 401 });
    for (let i = 0; i < 2; i++) {
      t.record(1);
      await flush();
    }
    expect(first.matching('error', /OLDK/)).toHaveLength(1); // the second is suppressed for now
    await shutdown();
    // The stopped run's summary belongs to the stopped run: reported at shutdown, to its logger...
    expect(first.matching('error', /OLDK/)).toHaveLength(2);
    t.receiver.setFault(undefined);
    const next = captureLogger();
    init({ apiKey: 'bl_pk_test_the_new_key_NEWK', baseUrl: t.receiver.url, logger: next, logLevel: 'warn' });
    t.record(1);
    await flush();
    // ...and never in the new run's logger, blaming a key that is no longer in use.
    expect(next.lines.filter((l) => l.message.includes('OLDK'))).toEqual([]);
  });

  it('a burst that overflows the queue: when shutdown() resolves, the log lines account for every dropped span', async () => {
    // The queue-full warning is rate-limited (first drop at once, the rest as a count later). A
    // script that ends right after the burst must not be left with "1 dropped" in its logs while
    // status() said thousands: the pending count is reported by shutdown() at the latest.
    t.start({ maxQueueSize: 8, maxExportBatchSize: 8, scheduledDelayMillis: 60_000 });
    t.record(500);
    const dropped = status().droppedQueueFull;
    expect(dropped).toBe(492);
    await shutdown();
    const reported = t.logger
      .matching('warn', /Queue full, dropping span\./)
      .map((l) => Number(/(\d+) span\(s\) dropped/.exec(l)?.[1] ?? NaN))
      .reduce((a, b) => a + b, 0);
    expect(reported).toBe(dropped);
  });
});
