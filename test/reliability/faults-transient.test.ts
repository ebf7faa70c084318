/**
 * Fault table, transient faults (one bad answer, then a healthy endpoint): a retryable fault is
 * delivered after a retry with nothing logged; a final one (500, 401, 403) is dropped and counted
 * at once. Conservation holds after every round, and the host never sees an exception.
 */
import { describe, expect, it } from 'vitest';
import { status } from '../../src/index.js';
import type { Fault } from '../support/receiver.js';
import { faultSuite, SPANS_PER_ROUND } from './fault-suite.js';
import { expectConserved } from './helpers.js';

const t = faultSuite();

interface TransientCase {
  name: string;
  fault: Fault;
  delivered: boolean;
  /** Requests of the first round, in order of their answers. */
  statuses: number[];
  /** The one warning a delivered case logs, if any. */
  warning?: RegExp;
}

const transient: TransientCase[] = [
  { name: 'HTTP 502 once', fault: { kind: 'status', status: 502, times: 1 }, delivered: true, statuses: [502, 200] },
  { name: 'HTTP 503 once', fault: { kind: 'status', status: 503, times: 1 }, delivered: true, statuses: [503, 200] },
  { name: 'HTTP 504 once', fault: { kind: 'status', status: 504, times: 1 }, delivered: true, statuses: [504, 200] },
  {
    name: 'HTTP 429 once, Retry-After: 0',
    fault: { kind: 'status', status: 429, retryAfter: '0', times: 1 },
    delivered: true,
    statuses: [429, 200],
  },
  // The receiver answers nothing (status 0) to a reset or a close.
  { name: 'connection reset once', fault: { kind: 'reset', times: 1 }, delivered: true, statuses: [0, 200] },
  {
    name: 'socket closed without an answer once',
    fault: { kind: 'close-without-answer', times: 1 },
    delivered: true,
    statuses: [0, 200],
  },
  // Split in two after the 413; both halves fit.
  {
    name: 'HTTP 413 once',
    fault: { kind: 'status', status: 413, times: 1 },
    delivered: true,
    statuses: [413, 200, 200],
  },
  // 415 -> resent as JSON, and JSON from now on.
  {
    name: 'HTTP 415 once',
    fault: { kind: 'status', status: 415, times: 1 },
    delivered: true,
    statuses: [415, 200],
    warning: /answered 415 to protobuf; sending OTLP JSON from now on/,
  },
  // Final answers: not retried, even though the next request would have worked.
  { name: 'HTTP 500 once', fault: { kind: 'status', status: 500, times: 1 }, delivered: false, statuses: [500] },
  { name: 'HTTP 401 once', fault: { kind: 'status', status: 401, times: 1 }, delivered: false, statuses: [401] },
  { name: 'HTTP 403 once', fault: { kind: 'status', status: 403, times: 1 }, delivered: false, statuses: [403] },
];

describe('transient faults (times: 1)', () => {
  for (const c of transient) {
    const outcome = c.delivered
      ? `delivered after retry, ${c.warning ? 'one warning' : 'nothing logged'}`
      : 'not retried, dropped and counted';
    it(`${c.name}: ${outcome}`, async () => {
      t.start();
      t.receiver.setFault(c.fault);
      const { result, requests } = await t.round();
      expect(requests.map((r) => r.status)).toEqual(c.statuses);
      if (c.delivered) {
        expect(result).toEqual({ ok: true, exported: SPANS_PER_ROUND, dropped: 0 });
        expect(t.receiver.spans).toHaveLength(SPANS_PER_ROUND);
        if (c.warning) expect(t.logger.at('warn')).toEqual([expect.stringMatching(c.warning)]);
        else expect(t.logger.at('warn')).toEqual([]);
        expect(t.logger.at('error')).toEqual([]);
      } else {
        expect(result).toMatchObject({ ok: false, exported: 0, dropped: SPANS_PER_ROUND });
        expect(t.receiver.spans).toHaveLength(0);
        expect([...t.logger.at('warn'), ...t.logger.at('error')]).toHaveLength(1);
      }
      expectConserved(t.receiver.spans.length);
      // The next round goes through on the healthy endpoint.
      const next = await t.round();
      expect(next.result).toEqual({ ok: true, exported: SPANS_PER_ROUND, dropped: 0 });
      expectConserved(t.receiver.spans.length);
    });
  }

  it('HTTP 429 once with Retry-After: 1 waits for the server before retrying, then delivers', async () => {
    t.start();
    t.receiver.setFault({ kind: 'status', status: 429, retryAfter: '1', times: 1 });
    const { result, millis, requests } = await t.round();
    expect(result).toEqual({ ok: true, exported: SPANS_PER_ROUND, dropped: 0 });
    expect(requests.map((r) => r.status)).toEqual([429, 200]);
    // The transport's own first backoff is ~100 ms; only the header explains a ~1 s wait.
    expect(millis).toBeGreaterThanOrEqual(900);
    expectConserved(t.receiver.spans.length);
  });

  it('hang once: the single attempt uses the whole export budget, so the batch is dropped (not retried) and counted', async () => {
    // A documented limitation: no per-attempt timeout below exportTimeoutMillis (see docs/reliability.md).
    t.start();
    t.receiver.setFault({ kind: 'hang', times: 1 });
    const { result, requests } = await t.round();
    expect(requests).toHaveLength(1);
    expect(result).toMatchObject({ ok: false, dropped: SPANS_PER_ROUND });
    expectConserved(t.receiver.spans.length);
    const next = await t.round();
    expect(next.result).toEqual({ ok: true, exported: SPANS_PER_ROUND, dropped: 0 });
    expectConserved(t.receiver.spans.length);
  });

  it('the endpoint refuses protobuf (reject-protobuf): resent as JSON, delivered, JSON kept, one warning', async () => {
    t.start();
    t.receiver.setFault({ kind: 'reject-protobuf' });
    const first = await t.round();
    expect(first.result).toEqual({ ok: true, exported: SPANS_PER_ROUND, dropped: 0 });
    expect(first.requests.map((r) => [r.encoding, r.status])).toEqual([
      ['protobuf', 415],
      ['json', 200],
    ]);
    const second = await t.round();
    expect(second.requests.map((r) => [r.encoding, r.status])).toEqual([['json', 200]]);
    expect(status().protocol).toBe('http/json');
    expect(t.logger.matching('warn', /answered 415 to protobuf/)).toHaveLength(1);
    expect(status().warnings.filter((w) => w.code === 'json_fallback')).toHaveLength(1);
    expect(t.logger.at('warn')).toHaveLength(1);
    expectConserved(t.receiver.spans.length);
  });

  it('a slow answer inside the budget: delivered, not retried, nothing logged', async () => {
    t.start();
    t.receiver.setFault({ kind: 'delay', millis: 400 });
    const { result, requests } = await t.round();
    expect(result).toEqual({ ok: true, exported: SPANS_PER_ROUND, dropped: 0 });
    expect(requests).toHaveLength(1);
    expect(t.logger.at('warn')).toEqual([]);
    expectConserved(t.receiver.spans.length);
  });
});
