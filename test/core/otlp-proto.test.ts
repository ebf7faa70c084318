/**
 * The SDK's own OTLP/protobuf encoder (src/core/otlp-proto.ts) against OpenTelemetry JS's
 * serializer, which it replaced: the same spans encoded by both decode to the same messages,
 * field for field (a generic wire decoder, so links, flags and dropped counts are compared too),
 * and the partial-success reader reads what OpenTelemetry's reads.
 */
import { SpanKind, SpanStatusCode, TraceFlags, context, trace } from '@opentelemetry/api';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { encodeProtobuf, protobufRejectedSpans } from '../../src/core/otlp-proto.js';
import { decodeTraceRequest } from '../../src/dev/otlp.js';

/** Fields that hold a nested message, by message type: `field number -> message type`. */
const NESTED: Record<string, Record<number, string>> = {
  request: { 1: 'resourceSpans' },
  resourceSpans: { 1: 'resource', 2: 'scopeSpans' },
  resource: { 1: 'keyValue' },
  scopeSpans: { 1: 'scope', 2: 'span' },
  scope: { 3: 'keyValue' },
  span: { 9: 'keyValue', 11: 'event', 13: 'link', 15: 'status' },
  event: { 3: 'keyValue' },
  link: { 4: 'keyValue' },
  keyValue: { 2: 'anyValue' },
  anyValue: { 5: 'arrayValue' },
  arrayValue: { 1: 'anyValue' },
  status: {},
};

type Decoded = Record<number, unknown[]>;

function varint(bytes: Uint8Array, at: number): [bigint, number] {
  let v = 0n;
  for (let shift = 0n; ; shift += 7n) {
    const b = bytes[at++]!;
    v |= BigInt(b & 127) << shift;
    if (b < 128) return [v, at];
  }
}

/** Every field of a message, zero-valued scalars left out (proto3 treats them as absent). */
function decode(bytes: Uint8Array, type: string): Decoded {
  const out: Decoded = {};
  const add = (field: number, value: unknown) => (out[field] ??= []).push(value);
  for (let at = 0; at < bytes.length; ) {
    let tag: bigint;
    [tag, at] = varint(bytes, at);
    const field = Number(tag >> 3n);
    const wire = Number(tag & 7n);
    if (wire === 0) {
      let v: bigint;
      [v, at] = varint(bytes, at);
      if (v !== 0n) add(field, `varint ${v}`);
    } else if (wire === 1 || wire === 5) {
      const size = wire === 1 ? 8 : 4;
      const hex = Buffer.from(bytes.subarray(at, at + size)).toString('hex');
      if (/[^0]/.test(hex)) add(field, `fixed ${hex}`);
      at += size;
    } else if (wire === 2) {
      let length: bigint;
      [length, at] = varint(bytes, at);
      const body = bytes.subarray(at, at + Number(length));
      at += Number(length);
      const nested = NESTED[type]![field];
      if (nested) add(field, decode(body, nested));
      else if (body.length > 0 || type === 'anyValue') add(field, Buffer.from(body).toString('hex'));
    } else throw new Error(`wire type ${wire}`);
  }
  return out;
}

async function recordSpans(): Promise<ReadableSpan[]> {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'proto-test', 'telemetry.sdk.version': '0.2.0' }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
    spanLimits: { attributeCountLimit: 12, eventCountLimit: 2, linkCountLimit: 1 },
  });
  const tracer = provider.getTracer('proto', '1.2.3');
  const remote = trace.wrapSpanContext({
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: 'b7ad6b7169203331',
    traceFlags: TraceFlags.SAMPLED,
    isRemote: true,
  });
  const root = tracer.startSpan('root', { kind: SpanKind.SERVER }, trace.setSpan(context.active(), remote));
  const child = tracer.startSpan(
    'child ✓',
    {
      links: [{ context: remote.spanContext(), attributes: { why: 'retry' } }, { context: root.spanContext() }],
    },
    trace.setSpan(context.active(), root),
  );
  child.setAttributes({
    str: 'héllo ✓ 🎉',
    empty: '',
    long: 'x'.repeat(200),
    longer: 'y'.repeat(20_000),
    int: 3,
    negative: -42,
    min: -(2 ** 63),
    double: 3.5,
    nan: Number.NaN,
    huge: 1e300,
    big: 2 ** 60,
    bool: false,
    strings: ['a', '', 'c'],
    ints: [1, -2, 3],
  });
  child.setAttribute('dropped', 1);
  for (let i = 0; i < 4; i++) child.addEvent(`e${i}`, { step: i, note: 'n'.repeat(i * 100) });
  child.setStatus({ code: SpanStatusCode.ERROR, message: 'boom ✗' });
  child.end();
  root.setStatus({ code: SpanStatusCode.OK });
  root.end();
  await provider.forceFlush();
  return exporter.getFinishedSpans();
}

describe('OTLP/protobuf encoder', () => {
  it('writes the same messages as OpenTelemetry JS, field for field', async () => {
    const spans = await recordSpans();
    expect(spans.map((s) => s.droppedLinksCount + s.droppedEventsCount + s.droppedAttributesCount)).toEqual([6, 0]);
    const theirs = ProtobufTraceSerializer.serializeRequest(spans)!;
    const ours = encodeProtobuf(spans);
    expect(decode(ours, 'request')).toEqual(decode(theirs, 'request'));
    // and the dev server's decoder (what the tests' receiver uses) reads them alike
    expect(decodeTraceRequest(ours, 'protobuf')).toEqual(decodeTraceRequest(theirs, 'protobuf'));
  });

  it('groups spans of two resources and two scopes as OpenTelemetry does', async () => {
    const [a, b] = await recordSpans();
    // Copies that differ in one field (the spans' methods stay on the prototype chain).
    const like = (span: ReadableSpan, change: object) => Object.assign(Object.create(span), change) as ReadableSpan;
    const other = like(b!, { resource: resourceFromAttributes({ 'service.name': 'other' }) });
    const scoped = like(a!, { instrumentationScope: { name: 'second' } });
    const batch = [a!, other, scoped, b!];
    expect(decode(encodeProtobuf(batch), 'request')).toEqual(
      decode(ProtobufTraceSerializer.serializeRequest(batch)!, 'request'),
    );
  });

  it('reads partial success as OpenTelemetry does, and rejects a truncated body', () => {
    // partial_success { rejected_spans: 300, error_message: "too old" }
    const body = Uint8Array.from([0x0a, 0x0c, 0x08, 0xac, 0x02, 0x12, 0x07, ...Buffer.from('too old')]);
    const theirs = ProtobufTraceSerializer.deserializeResponse(body);
    expect(protobufRejectedSpans(body)).toEqual({
      rejected: Number(theirs.partialSuccess?.rejectedSpans),
      message: theirs.partialSuccess?.errorMessage,
    });
    expect(protobufRejectedSpans(new Uint8Array())).toEqual({ rejected: 0 });
    expect(() => protobufRejectedSpans(body.subarray(0, 6))).toThrow();
  });
});
