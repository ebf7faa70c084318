/**
 * Issue 12 through the public API: no input and no low-level use can hurt the host or lose data
 * silently. Each test here failed on 0.1 (checked by running it against the 0.1 sources).
 */
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import {
  begin,
  BentoAuthError,
  BentoLabsSpanProcessor,
  BentoLabsTraceExporter,
  flush,
  init,
  propagateAttributes,
  runInvocation,
  shutdown,
  status,
  toolSpan,
  trackAi,
  updateCurrentSpan,
  updateCurrentTrace,
} from '../../src/index.js';
import { captureLogger, KEY, until, useReceiver } from './helpers.js';

const receiver = useReceiver();
const names = () => receiver.spans.map((s) => s.name).sort();

/** An object whose every property read throws, like a revoked Proxy. */
function revoked(): Record<string, unknown> {
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  return proxy as Record<string, unknown>;
}

describe('enabled: false is a no-op in every class', () => {
  it('BentoLabsSpanProcessor with enabled:false sends nothing, even with spans and a flush', async () => {
    const processor = new BentoLabsSpanProcessor({ enabled: false, baseUrl: receiver.url });
    const provider = new BasicTracerProvider({ spanProcessors: [processor] });
    provider.getTracer('t').startSpan('must-not-leave').end();
    expect(await processor.flush()).toEqual({ ok: true, exported: 0, dropped: 0 });
    await provider.shutdown();
    expect(receiver.requests).toEqual([]);
  });

  it('BENTOLABS_ENABLED=false disables a hand-built exporter and processor (no request, no empty Bearer)', async () => {
    process.env.BENTOLABS_ENABLED = 'false';
    process.env.BENTOLABS_BASE_URL = receiver.url;
    const exporter = new BentoLabsTraceExporter();
    const provider = new BasicTracerProvider();
    const span = provider.getTracer('t').startSpan('nope');
    span.end();
    const result = await new Promise<{ code: number }>((resolve) => exporter.export([span as never], resolve));
    expect(result.code).toBe(0);
    const processor = new BentoLabsSpanProcessor();
    const own = new BasicTracerProvider({ spanProcessors: [processor] });
    own.getTracer('t').startSpan('nope-either').end();
    await own.forceFlush();
    await own.shutdown();
    expect(receiver.requests).toEqual([]);
  });
});

describe('flush() accounts per caller', () => {
  it('two overlapping flushes each report exactly their own spans', async () => {
    init({ apiKey: KEY, baseUrl: receiver.url, scheduledDelayMillis: 60_000, logLevel: 'silent' });
    // The first request is slow; the second flush's spans go out beside it and arrive first.
    receiver.setFault({ kind: 'delay', millis: 400, times: 1 });
    for (let i = 0; i < 3; i++) trackAi({ event: `first-${i}` });
    const first = flush({ timeoutMillis: 10_000 });
    await until(() => status().inFlight === 3, 'the first flush’s request in flight');
    for (let i = 0; i < 5; i++) trackAi({ event: `second-${i}` });
    const second = flush({ timeoutMillis: 10_000 });
    expect(await first).toEqual({ ok: true, exported: 3, dropped: 0 });
    expect(await second).toEqual({ ok: true, exported: 5, dropped: 0 });
    expect(receiver.spans).toHaveLength(8);
  });

  it("an invocation's flush reports only its own spans, and the incomplete log blames the right request", async () => {
    const logger = captureLogger();
    init({ apiKey: KEY, baseUrl: receiver.url, scheduledDelayMillis: 60_000, logger, maxExportBatchSize: 1 });
    // The first request to arrive is refused: that is request A's span, which it exports first.
    let releaseB!: () => void;
    const bRecorded = new Promise<void>((resolve) => (releaseB = resolve));
    let aDone!: () => void;
    const aFinished = new Promise<void>((resolve) => (aDone = resolve));
    receiver.setFault({ kind: 'status', status: 400, times: 1 });
    const a = runInvocation(
      async () => {
        trackAi({ event: 'request-a' });
        await bRecorded;
      },
      { attributes: { request: 'a' } },
    ).then(aDone);
    const b = runInvocation(
      async () => {
        trackAi({ event: 'request-b' });
        releaseB();
        await aFinished;
      },
      { attributes: { request: 'b' } },
    );
    await Promise.all([a, b]);
    const incomplete = logger.matching('warn', /Flush before freeze incomplete/);
    // Only request A lost a span, so only one invocation says its flush was incomplete.
    expect(incomplete).toHaveLength(1);
    expect(incomplete[0]).toMatch(/0 exported, 1 dropped/);
    // A's span was refused by the endpoint, B's delivered.
    expect(receiver.requests.filter((r) => !r.accepted).flatMap((r) => r.spans.map((s) => s.name))).toEqual([
      'request-a',
    ]);
    expect(names()).toEqual(['request-b']);
  });

  it("an invocation's flush still delivers spans recorded outside any invocation (cold start), reporting only its own", async () => {
    init({ apiKey: KEY, baseUrl: receiver.url, scheduledDelayMillis: 60_000, logLevel: 'silent' });
    trackAi({ event: 'at-cold-start' });
    await runInvocation(() => trackAi({ event: 'in-request' }));
    // Delivered by the invocation's own flush, before runInvocation resolved.
    expect(names()).toEqual(['at-cold-start', 'in-request']);
    // The global flush() still accounts for both: the invocation's flush reported only its own.
    expect(await flush()).toEqual({ ok: true, exported: 2, dropped: 0 });
  });

  it('spans ended after shutdown() are not reported as queue-full drops', async () => {
    init({ apiKey: KEY, baseUrl: receiver.url, logLevel: 'silent' });
    const processor = new BentoLabsSpanProcessor({ apiKey: KEY, baseUrl: receiver.url, logLevel: 'silent' });
    const provider = new BasicTracerProvider({ spanProcessors: [processor] });
    const late = provider.getTracer('t').startSpan('ended-late');
    await processor.shutdown();
    late.end();
    const c = processor.counters();
    expect(c.droppedQueueFull).toBe(0);
    expect(c.droppedAfterShutdown).toBe(1);
    expect(c.dropped).toBe(1);
  });
});

describe('recording and lifecycle calls never throw, and their spans are exported', () => {
  it('update, finish, updateCurrentTrace, updateCurrentSpan, propagateAttributes with revoked proxies', async () => {
    init({ apiKey: KEY, baseUrl: receiver.url, logLevel: 'silent' });
    const outcome = await begin({ event: 'outer' }, async (turn) => {
      expect(() => turn.update(revoked() as never)).not.toThrow();
      expect(() => updateCurrentTrace(revoked() as never)).not.toThrow();
      expect(() => updateCurrentSpan(revoked() as never)).not.toThrow();
      expect(() => propagateAttributes(revoked() as never, () => trackAi({ event: 'inside-propagate' }))).not.toThrow();
      const handle = begin({ event: 'handle' });
      expect(() => handle.finish(revoked() as never)).not.toThrow();
      return 'done';
    });
    expect(outcome).toBe('done');
    expect((await flush()).ok).toBe(true);
    expect(names()).toEqual(['handle', 'inside-propagate', 'outer']);
  });

  it('callback-form begin/toolSpan whose callback returns a revoked Proxy hand it back and end their spans', async () => {
    init({ apiKey: KEY, baseUrl: receiver.url, logLevel: 'silent' });
    const value = revoked();
    expect(begin({ event: 'proxy-turn' }, () => value)).toBe(value);
    expect(toolSpan('proxy-tool', {}, () => value)).toBe(value);
    expect((await flush()).ok).toBe(true);
    expect(names()).toEqual(['proxy-tool', 'proxy-turn']);
  });
});

describe('API keys', () => {
  for (const [what, key] of [
    ['a zero-width space', `${KEY}\u200b`],
    ['a newline', `${KEY}\n`],
    ['a tab inside', `bl_pk_abc\tdef123456`],
    ['a non-ASCII letter', 'bl_pk_clé_0123456789'],
  ] as const) {
    it(`a key with ${what} is invalid_api_key_format at init(), before any request`, () => {
      let error: unknown;
      try {
        init({ apiKey: key, baseUrl: receiver.url });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(BentoAuthError);
      expect((error as BentoAuthError).code).toBe('invalid_api_key_format');
      expect((error as Error).message).not.toContain(key);
      expect(() => new BentoLabsTraceExporter({ apiKey: key })).toThrow(BentoAuthError);
      expect(receiver.requests).toEqual([]);
      expect(status().initialised).toBe(false);
    });
  }
});

describe('one truncation rule', () => {
  it('userId, convoId, model, provider and tags are cut with the …[truncated N chars] marker', async () => {
    init({ apiKey: KEY, baseUrl: receiver.url, maxAttributeValueLength: 16, logLevel: 'silent' });
    const long = 'x'.repeat(40);
    trackAi({ event: 'long-identity', userId: long, convoId: long, model: long, provider: long, tags: [long] });
    await flush();
    const a = receiver.spans[0]?.attributes ?? {};
    const cut = `${'x'.repeat(16)}…[truncated 24 chars]`;
    expect(a['gen_ai.user.id']).toBe(cut);
    expect(a['gen_ai.conversation.id']).toBe(cut);
    expect(a['gen_ai.request.model']).toBe(cut);
    expect(a['gen_ai.system']).toBe(cut);
    expect(a['langfuse.tags']).toEqual([cut]);
  });
});

describe('exception events', () => {
  it("carry the error's cause chain", async () => {
    init({ apiKey: KEY, baseUrl: receiver.url, logLevel: 'silent' });
    const root = new TypeError('socket closed');
    const middle = new Error('provider call failed', { cause: root });
    await expect(
      begin({ event: 'failing-turn' }, async () => {
        throw new Error('turn failed', { cause: middle });
      }),
    ).rejects.toThrow('turn failed');
    await flush();
    const event = receiver.spans[0]?.events.find((e) => e.name === 'exception');
    expect(event?.attributes['exception.message']).toBe('turn failed');
    expect(String(event?.attributes['exception.stacktrace'])).toMatch(
      /Caused by: Error: provider call failed[\s\S]*Caused by: TypeError: socket closed/,
    );
    expect(event?.attributes['bentolabs.exception.causes']).toEqual([
      'Error: provider call failed',
      'TypeError: socket closed',
    ]);
  });
});

describe('large batches', () => {
  it('a batch larger than one request to a slow but healthy endpoint is delivered whole, each request within the limit', async () => {
    const limit = 64 * 1024;
    init({
      apiKey: KEY,
      baseUrl: receiver.url,
      logLevel: 'silent',
      maxExportRequestBytes: limit,
      exportTimeoutMillis: 1500,
      scheduledDelayMillis: 60_000,
    });
    // ~14 requests of 200 ms: longer than one export timeout in all, well within it each.
    receiver.setFault({ kind: 'delay', millis: 200 });
    for (let i = 0; i < 20; i++) trackAi({ event: `big-${i}`, input: String(i % 10).repeat(40_000) });
    const result = await flush({ timeoutMillis: 30_000 });
    expect(result).toEqual({ ok: true, exported: 20, dropped: 0 });
    expect(receiver.requests.length).toBeGreaterThan(1);
    for (const r of receiver.requests) expect(r.bodyBytes).toBeLessThanOrEqual(limit);
    // Each span in exactly one request.
    expect(receiver.spans.map((s) => s.name).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `big-${i}`).sort());
  });
});

// Keeps the SDK's state clean for the next file even if a test above failed half-way.
it('shuts down cleanly', async () => {
  await shutdown();
});
