/**
 * OTLP/JSON encoding of finished spans (`protocol: 'http/json'`, and the fallback after a 415).
 * Written here rather than taken from `@opentelemetry/otlp-transformer`, whose JSON serializer
 * pulls in a second copy of the span transformation and costs ~4 KB in every Lambda bundle. The
 * shape follows OTLP/HTTP JSON as OpenTelemetry JS sends it: hex ids, nanosecond times as decimal
 * strings, enum values as numbers; `test/otlp-decode.test.ts` decodes both encodings alike.
 */
import type { AttributeValue, Attributes, HrTime, Link, SpanContext } from '@opentelemetry/api';
import type { ReadableSpan } from './otel-types.js';

type JsonAnyValue =
  | { stringValue: string }
  | { boolValue: boolean }
  | { intValue: number }
  | { doubleValue: number }
  | { arrayValue: { values: JsonAnyValue[] } }
  | Record<string, never>;

function anyValue(value: unknown): JsonAnyValue {
  switch (typeof value) {
    case 'string':
      return { stringValue: value };
    case 'boolean':
      return { boolValue: value };
    case 'number':
      return Number.isInteger(value) ? { intValue: value } : { doubleValue: value };
    default:
      if (Array.isArray(value)) return { arrayValue: { values: value.map(anyValue) } };
      return {};
  }
}

function keyValues(attributes: Attributes): { key: string; value: JsonAnyValue }[] {
  return Object.keys(attributes).map((key) => ({ key, value: anyValue(attributes[key] as AttributeValue) }));
}

/** Epoch nanoseconds of an `HrTime` (both encodings). */
export const epochNanos = (t: HrTime): bigint => BigInt(t[0]) * 1_000_000_000n + BigInt(t[1]);
const nanos = (t: HrTime) => epochNanos(t).toString();

/** OTLP SpanFlags: bit 8 says whether "parent is remote" is known; bit 9 is that flag (both encodings). */
export const spanFlags = (ctx: SpanContext, remote: boolean | undefined): number =>
  (ctx.traceFlags & 0xff) | 0x100 | (remote ? 0x200 : 0);

function span(s: ReadableSpan) {
  const ctx = s.spanContext();
  const parent = s.parentSpanContext;
  return {
    traceId: ctx.traceId,
    spanId: ctx.spanId,
    ...(parent && { parentSpanId: parent.spanId }),
    ...(ctx.traceState && { traceState: ctx.traceState.serialize() }),
    flags: spanFlags(ctx, parent?.isRemote),
    name: s.name,
    kind: s.kind + 1, // OTLP counts SPAN_KIND_UNSPECIFIED as 0
    startTimeUnixNano: nanos(s.startTime),
    endTimeUnixNano: nanos(s.endTime),
    attributes: keyValues(s.attributes),
    droppedAttributesCount: s.droppedAttributesCount,
    events: s.events.map((e) => ({
      timeUnixNano: nanos(e.time),
      name: e.name,
      attributes: keyValues(e.attributes ?? {}),
      droppedAttributesCount: e.droppedAttributesCount ?? 0,
    })),
    droppedEventsCount: s.droppedEventsCount,
    status: { code: s.status.code, ...(s.status.message && { message: s.status.message }) },
    links: s.links.map((l: Link) => ({
      traceId: l.context.traceId,
      spanId: l.context.spanId,
      attributes: keyValues(l.attributes ?? {}),
      droppedAttributesCount: l.droppedAttributesCount ?? 0,
      flags: spanFlags(l.context, l.context.isRemote),
    })),
    droppedLinksCount: s.droppedLinksCount,
  };
}

/** Serializes spans as one OTLP/JSON ExportTraceServiceRequest, grouped by resource and scope. */
export function encodeJson(spans: ReadableSpan[]): Uint8Array {
  return joinJsonParts([resourceSpansJson(spans)]);
}

/** One request from parts made by `resourceSpansJson` (OTLP allows several entries per resource). */
export function joinJsonParts(parts: string[]): Uint8Array {
  return new TextEncoder().encode(`{"resourceSpans":[${parts.join(',')}]}`);
}

/** `spans` by resource (by identity), then by instrumentation scope, in the order first seen. */
export function groupSpans(spans: ReadableSpan[]): [ReadableSpan['resource'], ReadableSpan[][]][] {
  const byResource = new Map<ReadableSpan['resource'], Map<string, ReadableSpan[]>>();
  for (const s of spans) {
    let scopes = byResource.get(s.resource);
    if (!scopes) byResource.set(s.resource, (scopes = new Map()));
    const scope = s.instrumentationScope;
    const scopeKey = `${scope.name}\u0000${scope.version ?? ''}\u0000${scope.schemaUrl ?? ''}`;
    const list = scopes.get(scopeKey);
    if (list) list.push(s);
    else scopes.set(scopeKey, [s]);
  }
  return [...byResource].map(([resource, scopes]) => [resource, [...scopes.values()]]);
}

/** The `resourceSpans` entries for `spans`, as JSON text without the enclosing brackets. */
export function resourceSpansJson(spans: ReadableSpan[]): string {
  const resourceSpans = groupSpans(spans).map(([resource, scopes]) => ({
    resource: { attributes: keyValues(resource.attributes), droppedAttributesCount: 0 },
    scopeSpans: scopes.map((list) => {
      const scope = list[0]!.instrumentationScope;
      return {
        scope: { name: scope.name, ...(scope.version && { version: scope.version }) },
        spans: list.map(span),
        ...(scope.schemaUrl && { schemaUrl: scope.schemaUrl }),
      };
    }),
    ...(resource.schemaUrl && { schemaUrl: resource.schemaUrl }),
  }));
  return JSON.stringify(resourceSpans).slice(1, -1);
}

/** Reads `partialSuccess.rejectedSpans` from an OTLP/JSON response body (0 when absent). */
export function jsonRejectedSpans(body: Uint8Array): { rejected: number; message?: string } {
  const parsed = JSON.parse(new TextDecoder().decode(body)) as {
    partialSuccess?: { rejectedSpans?: number | string; errorMessage?: string };
  };
  return {
    rejected: Number(parsed.partialSuccess?.rejectedSpans ?? 0),
    ...(parsed.partialSuccess?.errorMessage && { message: parsed.partialSuccess.errorMessage }),
  };
}
