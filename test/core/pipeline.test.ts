/**
 * SPEC §7 and §9: the export pipeline against a real receiver that misbehaves on purpose —
 * bounded queue (drop oldest, counted, logged), batch sizes, no export inside a recording call,
 * a flush that waits for an export the timer already started, retries, auth errors, the 415 JSON
 * fallback — and the accounting that lets `status()` explain where every span went.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { flush, init, shutdown, status, trackAi, type BentoOptions } from '../../src/index.js';
import { OtlpReceiver } from '../support/receiver.js';
import { captureLogger, KEY, until, useReceiver, type CapturedLog } from './helpers.js';

const receiver = useReceiver();
let logger: CapturedLog;

beforeEach(() => {
  logger = captureLogger();
});
afterEach(() => {
  // Before the shared hook's shutdown(): real timers, and a healthy endpoint to flush into.
  vi.useRealTimers();
  receiver.setFault(undefined);
});

function start(extra: BentoOptions = {}): void {
  init({ apiKey: KEY, baseUrl: receiver.url, logger, logLevel: 'debug', ...extra });
}

function record(n: number, prefix = 's'): void {
  for (let i = 0; i < n; i++) trackAi({ event: `${prefix}${i}` });
}

/** Every span recorded is delivered, dropped, or still pending: nothing vanishes. */
function expectAccounted(delivered = receiver.spans.length): void {
  const s = status();
  expect(s.recorded).toBe(delivered + s.dropped + s.queueLength + s.inFlight);
  expect(s.dropped).toBe(s.droppedQueueFull + s.droppedExportFailed);
  expect(s.exported).toBe(delivered);
}

const turns = (n: number) =>
  Array.from({ length: n }).reduce<Promise<void>>(
    (p) => p.then(() => new Promise((r) => setImmediate(r))),
    Promise.resolve(),
  );

describe('queue and batches', () => {
  it('a full queue drops the OLDEST span, counts it and logs "Queue full, dropping span." once per interval', async () => {
    start({ maxQueueSize: 4, maxExportBatchSize: 4 });
    record(10);
    const s = status();
    expect(s.queueLength).toBe(4);
    expect(s.droppedQueueFull).toBe(6);
    expect(s.recorded).toBe(10);
    // Reported once the synchronous burst is over, with the burst's whole count.
    await turns(1);
    const queueLines = logger.at('warn').filter((l) => l.includes('Queue full, dropping span.'));
    expect(queueLines).toHaveLength(1);
    expect(queueLines[0]).toMatch(/\b6 span\(s\) dropped\b/);
    const result = await flush();
    expect(receiver.spans.map((x) => x.name)).toEqual(['s6', 's7', 's8', 's9']);
    // The six dropped before the flush were recorded before it: the flush reports them.
    expect(result).toMatchObject({ ok: false, exported: 4, dropped: 6 });
    expect(result.error).toMatch(/6 dropped because the queue was full/);
    expect(await flush()).toMatchObject({ ok: true, exported: 0, dropped: 0 });
    expectAccounted();
  });

  it('drops suppressed by the rate limit are reported later with their count', async () => {
    // Real time: the rate limit runs on the SDK's own timers (a host's fake timers do not move it),
    // so the trailing report comes when the 5 s interval really ends.
    start({ maxQueueSize: 2, maxExportBatchSize: 2, scheduledDelayMillis: 600_000 });
    record(7); // a burst of 5 drops: logged with its count as soon as the burst is over
    const lines = () => logger.at('warn').filter((l) => l.includes('Queue full, dropping span.'));
    await turns(1);
    expect(lines()).toHaveLength(1);
    expect(lines()[0]).toMatch(/\b5 span\(s\) dropped\b/);
    record(6); // more drops within the interval (how many depends on what was exported meanwhile)
    await turns(1);
    const second = status().droppedQueueFull - 5;
    expect(second).toBeGreaterThan(0);
    expect(lines()).toHaveLength(1); // held back until the interval ends
    await until(() => lines().length === 2, 'the trailing report', 15_000);
    expect(lines()[1]).toContain(` ${second} span(s) dropped`);
  });

  it('requests carry at most maxExportBatchSize spans', async () => {
    start({ maxQueueSize: 100, maxExportBatchSize: 3 });
    record(10);
    const result = await flush();
    expect(result).toMatchObject({ ok: true, exported: 10 });
    const sizes = receiver.requests.map((r) => r.spans.length);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(3);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(10);
  });

  it('a full batch is exported without waiting for the timer; a partial one waits', async () => {
    start({ maxQueueSize: 100, maxExportBatchSize: 5, scheduledDelayMillis: 600_000 });
    record(4, 'partial');
    await turns(5);
    expect(receiver.requests).toHaveLength(0);
    expect(status().queueLength).toBe(4);
    record(1, 'fifth');
    await receiver.waitForSpans(5);
    expect(status().queueLength).toBe(0);
  });

  it('the scheduled timer exports without a flush', async () => {
    start({ scheduledDelayMillis: 20 });
    record(2);
    await receiver.waitForSpans(2);
    // The receiver answered; the SDK settles the request right after.
    await until(() => status().inFlight === 0, 'the export to settle');
    expectAccounted();
  });

  it('no export starts inside a recording call', async () => {
    start({ maxQueueSize: 1, maxExportBatchSize: 1, scheduledDelayMillis: 0 });
    trackAi({ event: 'sync' });
    // A full batch with a zero delay, and still: queued, not in flight, nothing sent.
    const s = status();
    expect(s.queueLength).toBe(1);
    expect(s.inFlight).toBe(0);
    expect(s.exportRequests).toBe(0);
    expect(receiver.requests).toHaveLength(0);
    await receiver.waitForSpans(1);
  });
});

describe('flush()', () => {
  it('waits for an export the timer already started', async () => {
    start({ scheduledDelayMillis: 1 });
    receiver.setFault({ kind: 'delay', millis: 300, times: 1 });
    trackAi({ event: 'timer-started' });
    await until(() => status().inFlight === 1, 'the timer to start the export');
    trackAi({ event: 'recorded-meanwhile' });
    const result = await flush();
    expect(receiver.spans.map((s) => s.name).sort()).toEqual(['recorded-meanwhile', 'timer-started']);
    expect(result).toEqual({ ok: true, exported: 2, dropped: 0 });
  });

  it('never rejects: resolves {ok:false, error: timeout} when the endpoint hangs', async () => {
    start({ exportTimeoutMillis: 1500 });
    receiver.setFault({ kind: 'hang' });
    trackAi({ event: 'hung' });
    const result = await flush({ timeoutMillis: 100 });
    expect(result.ok).toBe(false);
    expect(result.error).toMatch(/timeout/);
    expect(result.exported).toBe(0);
    expectAccounted();
    expect(status().inFlight).toBe(1);
    // The export gives up at its own deadline; the span is then counted as dropped.
    receiver.setFault(undefined);
    const later = await flush({ timeoutMillis: 10_000 });
    expect(later.ok).toBe(false);
    expect(status().droppedExportFailed).toBe(1);
    expectAccounted();
  });

  it('does not wait behind a stale hung request: spans recorded later are delivered by the next flush', async () => {
    // A request hung across a Lambda freeze must not hold back every later invocation's spans.
    start({ exportTimeoutMillis: 2500 });
    receiver.setFault({ kind: 'hang', times: 1 });
    trackAi({ event: 'stuck' });
    expect(await flush({ timeoutMillis: 100 })).toMatchObject({ ok: false });
    expect(status().inFlight).toBe(1);
    trackAi({ event: 'fresh' });
    const result = await flush({ timeoutMillis: 1000 });
    expect(receiver.spans.map((s) => s.name)).toEqual(['fresh']);
    // `stuck` was recorded before this flush too and is still pending, so the flush reports it.
    expect(result.exported).toBe(1);
    expect(result.ok).toBe(false);
    expectAccounted();
  });

  it.each([Infinity, Number.NaN, 2 ** 31])(
    'flush({ timeoutMillis: %s }) waits for the export instead of a 1 ms timer',
    async (timeoutMillis) => {
      start();
      receiver.setFault({ kind: 'delay', millis: 100, times: 1 });
      trackAi({ event: 'slow' });
      expect(await flush({ timeoutMillis })).toEqual({ ok: true, exported: 1, dropped: 0 });
    },
  );

  it('resolves {ok:true, exported:0} with nothing to do, and before init', async () => {
    expect(await flush()).toEqual({ ok: true, exported: 0, dropped: 0 });
    start();
    expect(await flush()).toEqual({ ok: true, exported: 0, dropped: 0 });
  });

  it('endpoint down: retried within the export timeout, then dropped and counted; flush still resolves', async () => {
    const dead = await OtlpReceiver.start();
    const deadUrl = dead.url;
    await dead.close();
    init({ apiKey: KEY, baseUrl: deadUrl, logger, logLevel: 'debug', exportTimeoutMillis: 400 });
    record(3);
    const result = await flush();
    expect(result.ok).toBe(false);
    expect(result.dropped).toBe(3);
    expect(result.error).toMatch(/ECONNREFUSED/);
    const s = status();
    expect(s.droppedExportFailed).toBe(3);
    expect(s.lastExport?.ok).toBe(false);
    expect(s.lastExport?.error).toMatch(/ECONNREFUSED/);
    expect(s.recorded).toBe(s.dropped);
  });
});

describe('HTTP behaviour', () => {
  it('POSTs protobuf to /v1/traces with the Bearer key by default', async () => {
    start();
    trackAi({ event: 'p' });
    await flush();
    const req = receiver.requests[0];
    expect(req?.method).toBe('POST');
    expect(req?.path).toBe('/v1/traces');
    expect(req?.encoding).toBe('protobuf');
    expect(req?.headers['content-type']).toBe('application/x-protobuf');
    expect(req?.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(String(req?.headers['user-agent'])).toMatch(/^bentolabs-sdk-node\//);
    expect(status().protocol).toBe('http/protobuf');
  });

  it("protocol: 'http/json' sends OTLP JSON", async () => {
    start({ protocol: 'http/json' });
    trackAi({ event: 'j', properties: { n: 1 } });
    await flush();
    expect(receiver.requests[0]?.encoding).toBe('json');
    expect(receiver.requests[0]?.headers['content-type']).toBe('application/json');
    expect(receiver.spans[0]?.typedAttributes.n).toEqual({ type: 'int', value: 1 });
  });

  it('BENTOLABS_PROTOCOL=http/json sends JSON', async () => {
    process.env.BENTOLABS_PROTOCOL = 'http/json';
    start();
    trackAi({ event: 'j' });
    await flush();
    expect(receiver.requests[0]?.encoding).toBe('json');
  });

  it('retries 503 until it succeeds', async () => {
    start();
    receiver.setFault({ kind: 'status', status: 503, times: 2 });
    trackAi({ event: 'retried' });
    const result = await flush();
    expect(result).toEqual({ ok: true, exported: 1, dropped: 0 });
    expect(receiver.requests.map((r) => r.status)).toEqual([503, 503, 200]);
    expect(receiver.spans).toHaveLength(1);
    expectAccounted();
  });

  it.each([429, 502, 504])('retries %i', async (code) => {
    start();
    receiver.setFault({ kind: 'status', status: code, retryAfter: '0', times: 1 });
    trackAi({ event: 'retried' });
    expect(await flush()).toMatchObject({ ok: true, exported: 1 });
    expect(receiver.requests.map((r) => r.status)).toEqual([code, 200]);
  });

  it('honours Retry-After: waits for it, and gives up when it is past the export deadline', async () => {
    start();
    receiver.setFault({ kind: 'status', status: 429, retryAfter: '1', times: 1 });
    trackAi({ event: 'after-1s' });
    const flushed = flush();
    await receiver.waitForRequests(1);
    const first = Date.now();
    await receiver.waitForRequests(2);
    // A lower bound only: it can never fail because the machine is slow.
    expect(Date.now() - first).toBeGreaterThanOrEqual(900);
    expect(await flushed).toMatchObject({ ok: true, exported: 1 });

    await shutdown();
    receiver.clear();
    start({ exportTimeoutMillis: 2000 });
    receiver.setFault({ kind: 'status', status: 503, retryAfter: '30', times: 1 });
    trackAi({ event: 'too-late' });
    const result = await flush();
    expect(result.ok).toBe(false);
    expect(result.dropped).toBe(1);
    expect(receiver.requests).toHaveLength(1);
    expect(status().lastExport?.error).toMatch(/Retry-After/);
  });

  it('network errors (reset, closed without answer) are retried', async () => {
    start();
    receiver.setFault({ kind: 'reset', times: 1 });
    trackAi({ event: 'after-reset' });
    expect(await flush()).toMatchObject({ ok: true, exported: 1 });
    receiver.setFault({ kind: 'close-without-answer', times: 1 });
    trackAi({ event: 'after-close' });
    expect(await flush()).toMatchObject({ ok: true, exported: 1 });
    expect(receiver.spans.map((s) => s.name)).toEqual(['after-reset', 'after-close']);
    expectAccounted();
  });

  it.each([401, 403])('%i: logged as an auth problem with the fix, not retried, counted dropped', async (code) => {
    start();
    receiver.setFault({ kind: 'status', status: code, body: 'invalid key' });
    record(2);
    const result = await flush();
    expect(result).toMatchObject({ ok: false, exported: 0, dropped: 2 });
    expect(receiver.requests).toHaveLength(1);
    const errors = logger.at('error').join('\n');
    expect(errors).toContain(`HTTP ${code}`);
    expect(errors).toContain('BENTOLABS_API_KEY');
    expect(errors).toContain('BENTOLABS_BASE_URL');
    expect(errors).toContain('bl_pk_…abcd');
    expect(errors).not.toContain(KEY);
    const s = status();
    expect(s.droppedExportFailed).toBe(2);
    expect(s.lastExport).toMatchObject({ ok: false, httpStatus: code });
    expect(s.failedExports).toBe(1);
    expectAccounted();
  });

  it('an error body that echoes the key is redacted in status() and the logs', async () => {
    start({ exportTimeoutMillis: 1000 });
    for (const code of [401, 500, 503]) {
      receiver.setFault({ kind: 'status', status: code, body: `invalid token: Bearer ${KEY}` });
      trackAi({ event: `echo-${code}` });
      await flush();
      expect(JSON.stringify(status())).not.toContain(KEY);
      expect(status().lastExport?.error).toContain('bl_pk_…abcd');
    }
    expect(logger.lines.map((l) => l.message).join('\n')).not.toContain(KEY);
  });

  it('415 to protobuf: resent as JSON, JSON kept from then on, logged once', async () => {
    start();
    receiver.setFault({ kind: 'reject-protobuf' });
    trackAi({ event: 'first' });
    expect(await flush()).toMatchObject({ ok: true, exported: 1, dropped: 0 });
    trackAi({ event: 'second' });
    expect(await flush()).toMatchObject({ ok: true, exported: 1 });
    expect(receiver.requests.map((r) => [r.encoding, r.status])).toEqual([
      ['protobuf', 415],
      ['json', 200],
      ['json', 200],
    ]);
    expect(receiver.spans.map((s) => s.name)).toEqual(['first', 'second']);
    expect(status().protocol).toBe('http/json');
    expect(logger.lines.filter((l) => l.level !== 'debug' && l.message.includes('415'))).toHaveLength(1);
    expectAccounted();
  });

  it('413: the batch is split until it fits', async () => {
    start();
    trackAi({ event: 'probe' });
    await flush();
    const oneSpan = receiver.requests[0]?.bodyBytes ?? 0;
    receiver.clear();
    receiver.setFault({ kind: 'max-body', bytes: oneSpan * 3 });
    record(8);
    expect(await flush()).toMatchObject({ ok: true, exported: 8 });
    expect(receiver.spans).toHaveLength(8);
    expectAccounted(8 + 1); // the probe was delivered before clear()
  });

  it('OTLP partial success: spans the endpoint rejected inside a 200 are counted as dropped', async () => {
    start({ protocol: 'http/json' });
    receiver.setFault({
      kind: 'status',
      status: 200,
      body: '{"partialSuccess":{"rejectedSpans":"2","errorMessage":"too old"}}',
      times: 1,
    });
    record(3);
    const result = await flush();
    expect(result).toMatchObject({ ok: false, exported: 1, dropped: 2 });
    const s = status();
    expect(s.droppedExportFailed).toBe(2);
    expect(s.exported).toBe(1);
    expect(s.recorded).toBe(s.exported + s.dropped);
    expect(logger.at('warn').join('\n')).toContain('too old');
  });

  it('a non-retryable 500 drops that batch only', async () => {
    start();
    receiver.setFault({ kind: 'status', status: 500, times: 1 });
    trackAi({ event: 'lost' });
    expect(await flush()).toMatchObject({ ok: false, dropped: 1 });
    trackAi({ event: 'kept' });
    expect(await flush()).toMatchObject({ ok: true, exported: 1 });
    expect(receiver.spans.map((s) => s.name)).toEqual(['kept']);
    expect(status().lastExport).toMatchObject({ ok: true, httpStatus: 200 });
    expectAccounted();
  });
});

describe('accounting: recorded = delivered + dropped (nothing vanishes)', () => {
  it('across overflow, a failed batch, retries and a flush timeout', async () => {
    start({ maxQueueSize: 5, maxExportBatchSize: 5, exportTimeoutMillis: 3000 });
    receiver.setFault({ kind: 'status', status: 500, times: 1 });
    record(20, 'burst'); // 15 dropped by overflow
    await flush(); // the remaining 5 are lost to the 500
    expectAccounted();
    receiver.setFault({ kind: 'status', status: 503, times: 2 });
    record(3, 'retried');
    await flush();
    expectAccounted();
    receiver.setFault({ kind: 'delay', millis: 200, times: 1 });
    record(2, 'slow');
    const partial = await flush({ timeoutMillis: 20 });
    expect(partial.ok).toBe(false);
    expectAccounted(); // still consistent while the request is in flight
    await flush();
    const s = status();
    expect(s.recorded).toBe(25);
    expect(s.droppedQueueFull).toBe(15);
    expect(s.droppedExportFailed).toBe(5);
    expect(receiver.spans).toHaveLength(5);
    expect(s.recorded).toBe(receiver.spans.length + s.dropped);
    expectAccounted();
  });
});

describe('status() (SPEC §9)', () => {
  it('reports where spans go, with which key, and what happened to them', async () => {
    const before = status();
    expect(before).toMatchObject({ initialised: false, enabled: true, queueLength: 0, recorded: 0 });
    expect(before.reason).toMatch(/not initialised/);
    start({ maxQueueSize: 64 });
    trackAi({ event: 'a' });
    const queued = status();
    expect(queued).toMatchObject({
      initialised: true,
      enabled: true,
      baseUrl: receiver.url,
      tracesUrl: `${receiver.url}/v1/traces`,
      keyPrefix: 'bl_pk_…abcd',
      protocol: 'http/protobuf',
      queueLength: 1,
      inFlight: 0,
      maxQueueSize: 64,
      recorded: 1,
      exported: 0,
      dropped: 0,
      exportRequests: 0,
      flushOnExit: true,
    });
    expect(queued.sdkVersion).toMatch(/^\d+\.\d+\.\d+/);
    expect(queued.lastExport).toBeUndefined();
    await flush();
    const after = status();
    expect(after).toMatchObject({ queueLength: 0, recorded: 1, exported: 1, exportRequests: 1, failedExports: 0 });
    expect(after.lastExport).toMatchObject({ ok: true, spans: 1, httpStatus: 200 });
    expect(Number.isNaN(Date.parse(after.lastExport?.at ?? ''))).toBe(false);
    expect(JSON.stringify(after)).not.toContain(KEY);
  });

  it('explains a failed initialisation', () => {
    expect(() => init({ apiKey: 'bad_key' })).toThrow();
    const s = status();
    expect(s.initialised).toBe(false);
    expect(s.reason).toMatch(/initialisation failed/);
    expect(s.reason).toMatch(/bl_pk_/);
  });

  it('shutdown() flushes, returns the result, and the next call re-initialises lazily', async () => {
    start();
    trackAi({ event: 'before-shutdown' });
    expect(await shutdown()).toMatchObject({ ok: true, exported: 1 });
    expect(receiver.spans.map((s) => s.name)).toEqual(['before-shutdown']);
    expect(status().initialised).toBe(false);
    process.env.BENTOLABS_API_KEY = KEY;
    process.env.BENTOLABS_BASE_URL = receiver.url;
    trackAi({ event: 'lazy-again' });
    expect(status().initialised).toBe(true);
    await flush();
    expect(receiver.spans.map((s) => s.name)).toEqual(['before-shutdown', 'lazy-again']);
  });
});

describe('shutdown({ timeoutMillis })', () => {
  it('returns within its budget while an export hangs: the wait for exports in flight is bounded too', async () => {
    // The export timeout is a minute; vitest's 5 s test timeout fails a shutdown() that waits for it.
    start({ exportTimeoutMillis: 60_000 });
    receiver.setFault({ kind: 'hang' });
    record(1);
    await flush({ timeoutMillis: 50 }); // the export is now in flight and will not be answered
    const result = await shutdown({ timeoutMillis: 200 });
    expect(result).toMatchObject({ ok: false, exported: 0 });
    expect(result.error).toMatch(/^timeout/);
  });
});
