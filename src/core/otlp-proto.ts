/**
 * OTLP/protobuf encoding of finished spans (the default protocol) and the one field we read back
 * from a response (partial success). Written here rather than taken from
 * `@opentelemetry/otlp-transformer`, whose serializer costs ~10 KB of every bundle. The messages
 * and field numbers are those of `opentelemetry/proto/collector/trace/v1/trace_service.proto`;
 * `test/otlp-decode.test.ts` decodes what this writes and what OpenTelemetry JS writes alike.
 */
import type { Attributes, HrTime, SpanContext } from '@opentelemetry/api';
import type { ReadableSpan } from './otel-types.js';
import { epochNanos, groupSpans, spanFlags } from './otlp-json.js';

const utf8 = new TextEncoder();

// The request being written: encoding is synchronous, so one module-level buffer serves every call
// (plain functions over it minify to a third of a writer class's size).
let buf = new Uint8Array(0);
let view = new DataView(buf.buffer);
let at = 0;

function room(n: number): void {
  if (at + n <= buf.length) return;
  const next = new Uint8Array(Math.max(buf.length * 2, at + n, 4096));
  next.set(buf.subarray(0, at));
  buf = next;
  view = new DataView(next.buffer);
}

/** A non-negative integer (up to 2^53) as a varint. */
function varint(v: number): void {
  room(10);
  while (v > 127) {
    buf[at++] = (v % 128) | 128;
    v = Math.floor(v / 128);
  }
  buf[at++] = v;
}

/** Wire types: varint 0, fixed64 1, length-delimited 2, fixed32 5. */
const tag = (field: number, wire: number) => varint(field * 8 + wire);

/** A varint field, left out when 0 (proto3's default). */
function uint(field: number, v: number): void {
  if (!v) return;
  tag(field, 0);
  varint(v);
}

/** An int64 field: negative values as the 10-byte two's complement varint. */
function int64(field: number, v: number): void {
  tag(field, 0);
  if (v >= 0 && v <= Number.MAX_SAFE_INTEGER) {
    varint(v);
    return;
  }
  let big = BigInt.asUintN(64, BigInt(v));
  room(10);
  while (big > 127n) {
    buf[at++] = Number(big & 127n) | 128;
    big >>= 7n;
  }
  buf[at++] = Number(big);
}

/** A fixed-size field: fixed32 (`size` 4), or fixed64/double (8) written by `write` at `at`. */
function fixed(field: number, size: 4 | 8, write: () => void): void {
  tag(field, size === 4 ? 5 : 1);
  room(size);
  write();
  at += size;
}

const time = (field: number, t: HrTime) => fixed(field, 8, () => view.setBigUint64(at, epochNanos(t), true));

/** Span and link flags: the sampled bit, and whether the parent/link is known to be remote. */
const flags = (field: number, ctx: SpanContext, remote: boolean | undefined) =>
  fixed(field, 4, () => view.setUint32(at, spanFlags(ctx, remote), true));

/**
 * A length-delimited field written by `body`. One byte is reserved for the length; a body of
 * 128 bytes or more is moved up to make room for its longer varint.
 */
function nested(field: number, body: () => void): void {
  tag(field, 2);
  room(1);
  const start = ++at;
  body();
  const length = at - start;
  if (length < 128) {
    buf[start - 1] = length;
    return;
  }
  let extra = 0;
  for (let v = length; v > 127; v = Math.floor(v / 128)) extra++;
  room(extra);
  buf.copyWithin(start + extra, start, at);
  at = start - 1;
  varint(length);
  at += length;
}

function raw(s: string): void {
  room(s.length * 3);
  at += utf8.encodeInto(s, buf.subarray(at)).written;
}

/** A string field, left out when empty. */
function string(field: number, s: string | undefined): void {
  if (s) nested(field, () => raw(s));
}

/** Hex ids as bytes (an empty or missing id writes nothing). */
function id(field: number, hex: string | undefined): void {
  if (hex)
    nested(field, () => {
      room(hex.length / 2);
      for (let i = 0; i + 1 < hex.length; i += 2) buf[at++] = Number.parseInt(hex.slice(i, i + 2), 16);
    });
}

/** AnyValue: string 1, bool 2, int 3, double 4, array 5. */
function value(v: unknown): void {
  if (typeof v === 'string') nested(1, () => raw(v));
  else if (typeof v === 'boolean') {
    tag(2, 0);
    varint(v ? 1 : 0);
  } else if (typeof v === 'number') {
    if (Number.isInteger(v) && v >= -(2 ** 63) && v < 2 ** 63) int64(3, v);
    else fixed(4, 8, () => view.setFloat64(at, v, true));
  } else if (Array.isArray(v))
    nested(5, () => {
      for (const item of v) nested(1, () => value(item));
    });
}

/** Repeated KeyValue { key 1, value 2 }. */
function attributes(field: number, attrs: Attributes | undefined): void {
  for (const key in attrs)
    nested(field, () => {
      string(1, key);
      nested(2, () => value(attrs[key]));
    });
}

function span(s: ReadableSpan): void {
  const ctx = s.spanContext();
  const parent = s.parentSpanContext;
  id(1, ctx.traceId);
  id(2, ctx.spanId);
  string(3, ctx.traceState?.serialize());
  id(4, parent?.spanId);
  string(5, s.name);
  uint(6, s.kind + 1);
  time(7, s.startTime);
  time(8, s.endTime);
  attributes(9, s.attributes);
  uint(10, s.droppedAttributesCount);
  for (const e of s.events)
    nested(11, () => {
      time(1, e.time);
      string(2, e.name);
      attributes(3, e.attributes);
      uint(4, e.droppedAttributesCount ?? 0);
    });
  uint(12, s.droppedEventsCount);
  for (const l of s.links)
    nested(13, () => {
      id(1, l.context.traceId);
      id(2, l.context.spanId);
      string(3, l.context.traceState?.serialize());
      attributes(4, l.attributes);
      uint(5, l.droppedAttributesCount ?? 0);
      flags(6, l.context, l.context.isRemote);
    });
  uint(14, s.droppedLinksCount);
  nested(15, () => {
    string(2, s.status.message);
    uint(3, s.status.code);
  });
  flags(16, ctx, parent?.isRemote);
}

/** An ExportTraceServiceRequest of `spans`, grouped by resource and instrumentation scope. */
export function encodeProtobuf(spans: ReadableSpan[]): Uint8Array {
  at = 0;
  for (const [resource, scopes] of groupSpans(spans))
    nested(1, () => {
      nested(1, () => attributes(1, resource.attributes));
      for (const list of scopes)
        nested(2, () => {
          const scope = list[0]!.instrumentationScope;
          nested(1, () => {
            string(1, scope.name);
            string(2, scope.version);
          });
          for (const s of list) nested(2, () => span(s));
          string(3, scope.schemaUrl);
        });
      string(3, resource.schemaUrl);
    });
  const body = buf.slice(0, at);
  // A large batch leaves a large buffer: keep at most 1 MB of it for the next request.
  if (buf.length > 1 << 20) buf = new Uint8Array(0);
  return body;
}

/** One varint at `at`: its value (as a number) and where the next field starts. */
function readVarint(bytes: Uint8Array, at: number): [number, number] {
  let value = 0;
  let scale = 1;
  for (;;) {
    const b = bytes[at++];
    if (b === undefined) throw new Error('truncated varint');
    value += (b & 127) * scale;
    scale *= 128;
    if (b < 128) return [value, at];
  }
}

/** The fields of one message: `[field number, varint value | bytes]`, other wire types skipped. */
function fields(bytes: Uint8Array): [number, number | Uint8Array][] {
  const out: [number, number | Uint8Array][] = [];
  for (let at = 0; at < bytes.length; ) {
    let tag: number;
    [tag, at] = readVarint(bytes, at);
    const wire = tag & 7;
    if (wire === 0) {
      let v: number;
      [v, at] = readVarint(bytes, at);
      out.push([tag >>> 3, v]);
    } else if (wire === 2) {
      let length: number;
      [length, at] = readVarint(bytes, at);
      if (at + length > bytes.length) throw new Error('truncated field');
      out.push([tag >>> 3, bytes.subarray(at, at + length)]);
      at += length;
    } else if (wire === 1 || wire === 5) at += wire === 1 ? 8 : 4;
    else throw new Error(`unsupported wire type ${wire}`);
  }
  return out;
}

/** `partial_success { rejected_spans 1, error_message 2 }` of an ExportTraceServiceResponse. */
export function protobufRejectedSpans(body: Uint8Array): { rejected: number; message?: string } {
  let rejected = 0;
  let message: string | undefined;
  for (const [field, value] of fields(body)) {
    if (field !== 1 || typeof value === 'number') continue;
    for (const [f, v] of fields(value)) {
      if (f === 1 && typeof v === 'number') rejected = v;
      if (f === 2 && typeof v !== 'number') message = new TextDecoder().decode(v);
    }
  }
  return { rejected, ...(message !== undefined && { message }) };
}
