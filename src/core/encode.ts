/**
 * Encoding a batch into request bodies of bounded size, at a bounded cost to the event loop.
 * - The batch is cut into requests by an *estimate* of each span's size, before anything is
 *   encoded, so every span is encoded once: the cost is linear in the batch. (0.1 encoded the
 *   whole batch and halved it until it fit, re-encoding a 120 MB batch about seven times.)
 * - The estimate reads string lengths only, never their contents (counting UTF-8 bytes of a
 *   120 MB batch is itself a long block, and flattens every rope string at once); the exporter
 *   corrects it with the ratio it observes between estimated and real sizes.
 * - A request is encoded in slices of about `SLICE_BYTES`, with a turn of the event loop between
 *   them, and the slices are joined: protobuf allows concatenating two encodings of a message
 *   (repeated fields append), and OTLP allows several `resourceSpans` entries for one resource.
 *   So no synchronous block is longer than encoding one slice (or one span larger than a slice).
 */
import type { AttributeValue, Attributes } from '@opentelemetry/api';
import type { BentoProtocol } from './config.js';
import type { ReadableSpan } from './otel-types.js';
import { joinJsonParts, resourceSpansJson } from './otlp-json.js';
import { encodeProtobuf } from './otlp-proto.js';
import { runSoon } from './timers.js';

export const CONTENT_TYPE: Record<BentoProtocol, string> = {
  'http/protobuf': 'application/x-protobuf',
  'http/json': 'application/json',
};

/** Estimated bytes encoded between two turns of the event loop. */
const SLICE_BYTES = 256 * 1024;

/** Framing per attribute: the key/value message headers in protobuf, the field names in JSON. */
const ATTRIBUTE_OVERHEAD: Record<BentoProtocol, number> = { 'http/protobuf': 8, 'http/json': 48 };
/** Ids, times, kind, flags, status and framing of one span. */
const SPAN_OVERHEAD: Record<BentoProtocol, number> = { 'http/protobuf': 96, 'http/json': 320 };

function valueLength(value: AttributeValue | undefined): number {
  if (typeof value === 'string') return value.length;
  if (Array.isArray(value)) {
    let n = 2;
    for (const v of value) n += (typeof v === 'string' ? v.length : 24) + 4;
    return n;
  }
  return 24;
}

function attributesLength(attributes: Attributes | undefined, protocol: BentoProtocol): number {
  if (!attributes) return 0;
  let n = 0;
  for (const key in attributes) n += key.length + valueLength(attributes[key]) + ATTRIBUTE_OVERHEAD[protocol];
  return n;
}

/** About how many bytes `span` adds to a request body, counting one byte per character. */
export function estimateSpanBytes(span: ReadableSpan, protocol: BentoProtocol): number {
  let n = SPAN_OVERHEAD[protocol] + span.name.length + attributesLength(span.attributes, protocol);
  for (const event of span.events) n += 32 + event.name.length + attributesLength(event.attributes, protocol);
  for (const link of span.links) n += 64 + attributesLength(link.attributes, protocol);
  if (span.status.message) n += span.status.message.length;
  return n;
}

/**
 * End index of the run of spans from `start` whose estimated size stays under `limitBytes`; a span
 * larger than the limit on its own is a run by itself. `ratio` scales the estimate (observed
 * bytes per estimated byte: above 1 for non-ASCII text and JSON escapes).
 */
export function takeBySize(
  spans: readonly ReadableSpan[],
  start: number,
  protocol: BentoProtocol,
  limitBytes: number,
  ratio = 1,
): { end: number; estimate: number } {
  // The resource (service name, SDK version) is written once per request or slice.
  let estimate = 512;
  let end = start;
  while (end < spans.length) {
    const bytes = estimateSpanBytes(spans[end] as ReadableSpan, protocol);
    if (end > start && (estimate + bytes) * ratio > limitBytes) break;
    estimate += bytes;
    end++;
  }
  return { end, estimate };
}

/** Lets timers, I/O and the host's requests run between two slices of a large batch. */
export function yieldToLoop(): Promise<void> {
  // Real timers: under a host's fake timers a faked setImmediate would stall the export.
  return new Promise((resolve) => runSoon(resolve));
}

function encodeSlice(spans: ReadableSpan[], protocol: BentoProtocol): Uint8Array | string {
  return protocol === 'http/json' ? resourceSpansJson(spans) : encodeProtobuf(spans);
}

/** One request body for `spans`, encoded slice by slice with the event loop running in between. */
export async function encodeSpans(spans: ReadableSpan[], protocol: BentoProtocol): Promise<Uint8Array> {
  const parts: (Uint8Array | string)[] = [];
  for (let start = 0; start < spans.length; ) {
    if (start > 0) await yieldToLoop();
    const { end } = takeBySize(spans, start, protocol, SLICE_BYTES);
    parts.push(encodeSlice(spans.slice(start, end), protocol));
    start = end;
  }
  if (protocol === 'http/json') return joinJsonParts(parts as string[]);
  if (parts.length === 1) return parts[0] as Uint8Array;
  const bytes = parts as Uint8Array[];
  const body = new Uint8Array(bytes.reduce((n, p) => n + p.byteLength, 0));
  let offset = 0;
  for (const p of bytes) {
    body.set(p, offset);
    offset += p.byteLength;
  }
  return body;
}
