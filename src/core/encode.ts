/**
 * Encoding a batch into request bodies of bounded size. The batch is cut into chunks by an
 * estimate of each span's encoded size *before* anything is encoded, so every span is encoded
 * once (linear in the batch) and each chunk's encoding is one short, bounded block of the event
 * loop. Encoding the whole batch and halving it until it fits, as 0.1 did, re-encoded a 120 MB
 * batch about seven times over and blocked the loop for seconds at a time.
 */
import type { AttributeValue, Attributes } from '@opentelemetry/api';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableSpan as OtelReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { BentoProtocol } from './config.js';
import type { ReadableSpan } from './otel-types.js';
import { encodeJson } from './otlp-json.js';

export const CONTENT_TYPE: Record<BentoProtocol, string> = {
  'http/protobuf': 'application/x-protobuf',
  'http/json': 'application/json',
};

/** One request body; empty when the serializer produced nothing. */
export function encodeSpans(spans: ReadableSpan[], protocol: BentoProtocol): Uint8Array {
  return protocol === 'http/json'
    ? encodeJson(spans)
    : (ProtobufTraceSerializer.serializeRequest(spans as OtelReadableSpan[]) ?? new Uint8Array(0));
}

// UTF-8 length without encoding: native where Node's Buffer exists, else a safe upper bound.
const utf8Length: (s: string) => number =
  typeof Buffer !== 'undefined' ? (s) => Buffer.byteLength(s, 'utf8') : (s) => s.length * 3;

/** Framing per attribute: the key/value message headers in protobuf, the field names in JSON. */
const ATTRIBUTE_OVERHEAD: Record<BentoProtocol, number> = { 'http/protobuf': 8, 'http/json': 48 };
/** Ids, times, kind, flags, status and framing of one span. */
const SPAN_OVERHEAD: Record<BentoProtocol, number> = { 'http/protobuf': 96, 'http/json': 320 };

function valueLength(value: AttributeValue | undefined): number {
  if (typeof value === 'string') return utf8Length(value);
  if (Array.isArray(value)) {
    let n = 2;
    for (const v of value) n += (typeof v === 'string' ? utf8Length(v) : 24) + 4;
    return n;
  }
  return 24;
}

function attributesLength(attributes: Attributes | undefined, protocol: BentoProtocol): number {
  if (!attributes) return 0;
  let n = 0;
  for (const key in attributes) n += utf8Length(key) + valueLength(attributes[key]) + ATTRIBUTE_OVERHEAD[protocol];
  return n;
}

/** About how many bytes `span` adds to a request body (a little more for JSON's escapes, never much less). */
export function estimateSpanBytes(span: ReadableSpan, protocol: BentoProtocol): number {
  let n = SPAN_OVERHEAD[protocol] + utf8Length(span.name) + attributesLength(span.attributes, protocol);
  for (const event of span.events) n += 32 + utf8Length(event.name) + attributesLength(event.attributes, protocol);
  for (const link of span.links) n += 64 + attributesLength(link.attributes, protocol);
  if (span.status.message) n += utf8Length(span.status.message);
  return n;
}

/**
 * Consecutive chunks of `spans` whose estimated body stays under `limitBytes`; a span larger than
 * the limit on its own is a chunk by itself (it cannot be split). Order is kept. JSON escapes
 * (`"` inside a JSON-encoded input becomes `\"`) are not counted, so JSON aims lower.
 */
export function chunkBySize(spans: ReadableSpan[], protocol: BentoProtocol, limitBytes: number): ReadableSpan[][] {
  const target = limitBytes * (protocol === 'http/json' ? 0.75 : 0.9);
  const chunks: ReadableSpan[][] = [];
  let current: ReadableSpan[] = [];
  // The resource (service name, SDK version) is written once per request.
  const base = 512;
  let size = base;
  for (const span of spans) {
    const bytes = estimateSpanBytes(span, protocol);
    if (current.length > 0 && size + bytes > target) {
      chunks.push(current);
      current = [];
      size = base;
    }
    current.push(span);
    size += bytes;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/** Lets timers, I/O and the host's requests run between two chunks of a large batch. */
export function yieldToLoop(): Promise<void> {
  return new Promise((resolve) =>
    typeof setImmediate === 'function' ? setImmediate(resolve) : setTimeout(resolve, 0),
  );
}
