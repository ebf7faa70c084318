/**
 * OTLP/protobuf encoding of finished spans (the default protocol) and the one field we read back
 * from a response (partial success). Written here rather than taken from
 * `@opentelemetry/otlp-transformer`, whose serializer costs ~10 KB of every bundle. The messages
 * and field numbers are those of `opentelemetry/proto/collector/trace/v1/trace_service.proto`;
 * `test/otlp-decode.test.ts` decodes what this writes and what OpenTelemetry JS writes alike.
 */
import type { Attributes, HrTime, SpanContext } from '@opentelemetry/api';
import type { ReadableSpan } from './otel-types.js';
import { groupSpans } from './otlp-json.js';

const utf8 = new TextEncoder();

/** A growing buffer with protobuf's wire types (varint 0, fixed64 1, length-delimited 2, fixed32 5). */
class Writer {
  buf = new Uint8Array(4096);
  view = new DataView(this.buf.buffer);
  at = 0;

  private room(n: number): void {
    if (this.at + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.at + n));
    next.set(this.buf.subarray(0, this.at));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  /** A non-negative integer (up to 2^53) as a varint. */
  varint(v: number): void {
    this.room(10);
    while (v > 127) {
      this.buf[this.at++] = (v % 128) | 128;
      v = Math.floor(v / 128);
    }
    this.buf[this.at++] = v;
  }

  tag(field: number, wire: number): void {
    this.varint(field * 8 + wire);
  }

  /** An int64 field: negative values as the 10-byte two's complement varint. */
  int64(field: number, v: number): void {
    this.tag(field, 0);
    if (v >= 0 && v <= Number.MAX_SAFE_INTEGER) {
      this.varint(v);
      return;
    }
    let big = BigInt.asUintN(64, BigInt(v));
    this.room(10);
    while (big > 127n) {
      this.buf[this.at++] = Number(big & 127n) | 128;
      big >>= 7n;
    }
    this.buf[this.at++] = Number(big);
  }

  uint(field: number, v: number): void {
    if (!v) return;
    this.tag(field, 0);
    this.varint(v);
  }

  fixed32(field: number, v: number): void {
    this.tag(field, 5);
    this.room(4);
    this.view.setUint32(this.at, v, true);
    this.at += 4;
  }

  time(field: number, t: HrTime): void {
    this.tag(field, 1);
    this.room(8);
    this.view.setBigUint64(this.at, BigInt(t[0]) * 1_000_000_000n + BigInt(t[1]), true);
    this.at += 8;
  }

  double(field: number, v: number): void {
    this.tag(field, 1);
    this.room(8);
    this.view.setFloat64(this.at, v, true);
    this.at += 8;
  }

  /**
   * A length-delimited field written by `body`. One byte is reserved for the length; a body of
   * 128 bytes or more is moved up to make room for its longer varint.
   */
  nested(field: number, body: () => void): void {
    this.tag(field, 2);
    this.room(1);
    const start = ++this.at;
    body();
    const length = this.at - start;
    if (length < 128) {
      this.buf[start - 1] = length;
      return;
    }
    let extra = 0;
    for (let v = length; v > 127; v = Math.floor(v / 128)) extra++;
    this.room(extra);
    this.buf.copyWithin(start + extra, start, this.at);
    this.at = start - 1;
    this.varint(length);
    this.at += length;
  }

  string(field: number, s: string | undefined): void {
    if (!s) return;
    this.nested(field, () => this.raw(s));
  }

  /** Hex ids as bytes (an empty or missing id writes nothing). */
  id(field: number, hex: string | undefined): void {
    if (!hex) return;
    this.nested(field, () => {
      this.room(hex.length / 2);
      for (let i = 0; i + 1 < hex.length; i += 2) this.buf[this.at++] = Number.parseInt(hex.slice(i, i + 2), 16);
    });
  }

  /** AnyValue: string 1, bool 2, int 3, double 4, array 5. */
  value(v: unknown): void {
    if (typeof v === 'string') this.nested(1, () => this.raw(v));
    else if (typeof v === 'boolean') {
      this.tag(2, 0);
      this.varint(v ? 1 : 0);
    } else if (typeof v === 'number') {
      if (Number.isInteger(v) && v >= -(2 ** 63) && v < 2 ** 63) this.int64(3, v);
      else this.double(4, v);
    } else if (Array.isArray(v))
      this.nested(5, () => {
        for (const item of v) this.nested(1, () => this.value(item));
      });
  }

  private raw(s: string): void {
    this.room(s.length * 3);
    this.at += utf8.encodeInto(s, this.buf.subarray(this.at)).written;
  }

  /** Repeated KeyValue { key 1, value 2 }. */
  attributes(field: number, attributes: Attributes | undefined): void {
    for (const key in attributes)
      this.nested(field, () => {
        this.string(1, key);
        this.nested(2, () => this.value(attributes[key]));
      });
  }

  /** Span and link flags: the sampled bit, and whether the parent/link is known to be remote. */
  flags(field: number, ctx: SpanContext, remote: boolean | undefined): void {
    this.fixed32(field, (ctx.traceFlags & 0xff) | 0x100 | (remote ? 0x200 : 0));
  }

  span(s: ReadableSpan): void {
    const ctx = s.spanContext();
    const parent = s.parentSpanContext;
    this.id(1, ctx.traceId);
    this.id(2, ctx.spanId);
    this.string(3, ctx.traceState?.serialize());
    this.id(4, parent?.spanId);
    this.string(5, s.name);
    this.uint(6, s.kind + 1);
    this.time(7, s.startTime);
    this.time(8, s.endTime);
    this.attributes(9, s.attributes);
    this.uint(10, s.droppedAttributesCount);
    for (const e of s.events)
      this.nested(11, () => {
        this.time(1, e.time);
        this.string(2, e.name);
        this.attributes(3, e.attributes);
        this.uint(4, e.droppedAttributesCount ?? 0);
      });
    this.uint(12, s.droppedEventsCount);
    for (const l of s.links)
      this.nested(13, () => {
        this.id(1, l.context.traceId);
        this.id(2, l.context.spanId);
        this.string(3, l.context.traceState?.serialize());
        this.attributes(4, l.attributes);
        this.uint(5, l.droppedAttributesCount ?? 0);
        this.flags(6, l.context, l.context.isRemote);
      });
    this.uint(14, s.droppedLinksCount);
    this.nested(15, () => {
      this.string(2, s.status.message);
      this.uint(3, s.status.code);
    });
    this.flags(16, ctx, parent?.isRemote);
  }
}

/** An ExportTraceServiceRequest of `spans`, grouped by resource and instrumentation scope. */
export function encodeProtobuf(spans: ReadableSpan[]): Uint8Array {
  const w = new Writer();
  for (const [resource, scopes] of groupSpans(spans))
    w.nested(1, () => {
      w.nested(1, () => w.attributes(1, resource.attributes));
      for (const list of scopes)
        w.nested(2, () => {
          const scope = list[0]!.instrumentationScope;
          w.nested(1, () => {
            w.string(1, scope.name);
            w.string(2, scope.version);
          });
          for (const s of list) w.nested(2, () => w.span(s));
          w.string(3, scope.schemaUrl);
        });
      w.string(3, resource.schemaUrl);
    });
  return w.buf.slice(0, w.at);
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
