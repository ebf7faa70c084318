/**
 * The SDK's own tracer and span (src/core/tracer.ts, span.ts) against OpenTelemetry's
 * `TracerProvider` and `SpanImpl`, which they replaced: the same calls, with the same limits,
 * leave the same finished span (attributes, events, links, status, dropped counts, parent, times).
 */
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import { TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { describe, expect, it } from 'vitest';
import type { SpanProcessor } from '../../src/core/otel-types.js';
import { BentoTracer } from '../../src/core/tracer.js';

const LIMITS = { attributeCountLimit: 6, attributeValueLengthLimit: 10, eventCountLimit: 3 };

function collector(): SpanProcessor & { ended: ReadableSpan[]; started: unknown[] } {
  const ended: ReadableSpan[] = [];
  const started: unknown[] = [];
  return {
    ended,
    started,
    onStart: (span) => void started.push(span),
    onEnd: (span) => void ended.push(span as ReadableSpan),
    forceFlush: async () => undefined,
    shutdown: async () => undefined,
  };
}

interface Pair {
  ours: BentoTracer;
  theirs: ReturnType<TracerProvider['getTracer']>;
  oursOut: ReturnType<typeof collector>;
  theirsOut: ReturnType<typeof collector>;
}

function pair(): Pair {
  const oursOut = collector();
  const theirsOut = collector();
  const ours = new BentoTracer(oursOut, LIMITS, { 'service.name': 's' }, 'scope', '1.0.0');
  const theirs = new TracerProvider({ spanLimits: LIMITS, spanProcessors: [theirsOut] }).getTracer('scope', '1.0.0');
  return { ours, theirs, oursOut, theirsOut };
}

/** What a finished span holds, without its random ids and clock readings. */
function shape(s: ReadableSpan) {
  return {
    name: s.name,
    kind: s.kind,
    attributes: s.attributes,
    events: s.events.map((e) => ({ name: e.name, attributes: e.attributes, dropped: e.droppedAttributesCount })),
    links: s.links,
    status: s.status,
    dropped: [s.droppedAttributesCount, s.droppedEventsCount, s.droppedLinksCount],
    ended: s.ended,
    parent: s.parentSpanContext?.spanId,
    traceFlags: s.spanContext().traceFlags,
    scope: { name: s.instrumentationScope.name, version: s.instrumentationScope.version },
  };
}

const link = { context: { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 1 } };

function exercise(span: Span): void {
  span.setAttribute('s', 'a string longer than ten');
  span.setAttributes({ n: 1, b: true, arr: ['long string value', 'ok'], mixed: [1, 'x'] as never, bad: {} as never });
  span.setAttribute('', 'empty key');
  span.setAttribute('undef', undefined as never);
  span.setAttribute('n', 2); // an existing key is replaced, not counted again
  span.setAttributes({ a1: 1, a2: 2, a3: 3, a4: 4 }); // over the count limit of 6
  span.addEvent('e1', { k: 'value longer than ten', bad: {} as never });
  span.addEvent('e2', 1_700_000_000_000);
  span.addEvent('e3', { x: 1 }, new Date(1_700_000_000_500));
  span.addEvent('e4');
  span.addLink({ ...link, attributes: { why: 'retry' } });
  span.addLinks([link]);
  span.recordException(Object.assign(new Error('boom'), { code: 'E_BOOM' }));
  span.updateName('renamed');
  span.setStatus({ code: SpanStatusCode.ERROR, message: 'first' });
  span.setStatus({ code: SpanStatusCode.UNSET });
  span.setStatus({ code: SpanStatusCode.ERROR, message: 42 as never });
}

describe('BentoTracer and its spans', () => {
  it('leave the same finished span as OpenTelemetry for the same calls and limits', () => {
    const { ours, theirs, oursOut, theirsOut } = pair();
    for (const tracer of [ours, theirs]) {
      const span = tracer.startSpan('op', {
        kind: SpanKind.CLIENT,
        attributes: { first: 'x', ignored: null as never },
      });
      exercise(span);
      span.end();
      span.setAttribute('late', 1);
      span.end();
    }
    expect(oursOut.ended).toHaveLength(1);
    expect(shape(oursOut.ended[0]!)).toEqual(shape(theirsOut.ended[0]!));
    expect(oursOut.started).toEqual([oursOut.ended[0]]);
  });

  it('inherit the trace of the parent span, or start a new one', () => {
    const { ours, theirs, oursOut, theirsOut } = pair();
    // Ours takes the parent span itself; OpenTelemetry's takes it in a context.
    const start = {
      ours: (name: string, parent?: Span) => ours.startSpan(name, {}, parent),
      theirs: (name: string, parent?: Span) =>
        theirs.startSpan(name, {}, parent ? trace.setSpan(ROOT_CONTEXT, parent) : ROOT_CONTEXT),
    };
    for (const startSpan of [start.ours, start.theirs]) {
      const parent = startSpan('parent');
      const child = startSpan('child', parent);
      const root = startSpan('root');
      for (const s of [child, root, parent]) s.end();
    }
    for (const out of [oursOut, theirsOut]) {
      const [child, root, parent] = out.ended as [ReadableSpan, ReadableSpan, ReadableSpan];
      expect(child.spanContext().traceId).toBe(parent.spanContext().traceId);
      expect(child.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
      expect(root.parentSpanContext).toBeUndefined();
      expect(root.spanContext().traceId).not.toBe(parent.spanContext().traceId);
      for (const s of out.ended) {
        expect(s.spanContext().traceId).toMatch(/^[0-9a-f]{32}$/);
        expect(s.spanContext().spanId).toMatch(/^[0-9a-f]{16}$/);
      }
    }
    const noIds = (s: ReadableSpan) => ({ ...shape(s), parent: s.parentSpanContext !== undefined });
    expect(oursOut.ended.map(noIds)).toEqual(theirsOut.ended.map(noIds));
  });

  it('take given start and end times as OpenTelemetry does, and never end before they start', () => {
    const { ours, theirs, oursOut, theirsOut } = pair();
    for (const tracer of [ours, theirs]) {
      tracer.startSpan('dated', { startTime: 1_700_000_000_123.5 }).end(new Date(1_700_000_001_000));
      tracer.startSpan('hr', { startTime: [1_700_000_000, 5] }).end([1_700_000_002, 7]);
      tracer.startSpan('backwards', { startTime: 1_700_000_005_000 }).end(1_700_000_000_000);
    }
    const times = (s: ReadableSpan) => [s.startTime, s.endTime, s.duration];
    expect(oursOut.ended.map(times)).toEqual(theirsOut.ended.map(times));
  });

  it('measure an unset end time on the monotonic clock from an epoch start', () => {
    const { ours, oursOut } = pair();
    const before = Date.now();
    const span = ours.startSpan('timed');
    const spin = performance.now() + 3;
    while (performance.now() < spin);
    span.end();
    const s = oursOut.ended[0]!;
    const ms = (t: readonly number[]) => t[0]! * 1000 + t[1]! / 1e6;
    expect(ms(s.startTime)).toBeGreaterThanOrEqual(before);
    expect(ms(s.startTime)).toBeLessThanOrEqual(Date.now());
    expect(ms(s.duration)).toBeGreaterThanOrEqual(3);
    expect(ms(s.endTime) - ms(s.startTime)).toBeCloseTo(ms(s.duration), 3);
    expect(s.endTime[1]).toBeLessThan(1e9);
  });
});
