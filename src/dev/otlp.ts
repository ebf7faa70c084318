/**
 * Decodes OTLP/HTTP trace export requests (protobuf or JSON, optionally compressed) into one
 * flat, comparable span model. Node built-ins only: it ships in the package for a local dev
 * endpoint and backs the test receiver.
 */
import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';
import { decodeJson } from './otlp-json.js';
import { checkDepth, emptySpanFields, finishSpan, hex, intValue, plainAttributes, setOwn } from './otlp-model.js';
import type { Attrs, OtlpEncoding, ReceivedEvent, ReceivedSpan, Scope, SpanFields, TypedValue } from './otlp-model.js';
import { OtlpDecodeError, ProtobufReader, tag, WIRE_I64, WIRE_LEN, WIRE_VARINT } from './protobuf-reader.js';

export { OtlpDecodeError } from './protobuf-reader.js';
export { plainValue } from './otlp-model.js';
export type { OtlpEncoding, ReceivedEvent, ReceivedSpan, TypedValue } from './otlp-model.js';

// Decompressed-size cap: a dev endpoint must not let a tiny gzip bomb exhaust memory.
const MAX_DECOMPRESSED_BYTES = 64 * 1024 * 1024;

/**
 * Maps a `content-type` header to an OTLP encoding, ignoring parameters such as `charset`.
 * @example encodingOf('application/json; charset=utf-8') // 'json'
 */
export function encodingOf(contentType: string | undefined): OtlpEncoding | undefined {
  const media = contentType?.split(';')[0]?.trim().toLowerCase();
  // OTLP sends `application/x-protobuf`; `application/protobuf` is the newer registered name.
  if (media === 'application/x-protobuf' || media === 'application/protobuf') return 'protobuf';
  if (media === 'application/json') return 'json';
  return undefined;
}

/**
 * Decodes an `ExportTraceServiceRequest` body into spans. `contentEncoding` is the request's
 * `content-encoding` header (gzip, deflate, br or identity); without it a gzip body is sniffed.
 * @throws OtlpDecodeError when the body is not a well-formed request.
 * @example
 * const spans = decodeTraceRequest(body, 'protobuf', req.headers['content-encoding']);
 */
export function decodeTraceRequest(body: Uint8Array, encoding: OtlpEncoding, contentEncoding?: string): ReceivedSpan[] {
  const raw = decompress(body, contentEncoding);
  return encoding === 'protobuf' ? decodeProtobuf(raw) : decodeJson(raw);
}

function decompress(body: Uint8Array, contentEncoding: string | undefined): Uint8Array {
  const coding = contentEncoding?.trim().toLowerCase() || undefined;
  const limits = { maxOutputLength: MAX_DECOMPRESSED_BYTES };
  try {
    if (coding === 'gzip' || coding === 'x-gzip') return gunzipSync(body, limits);
    if (coding === 'deflate') return inflateSync(body, limits);
    if (coding === 'br') return brotliDecompressSync(body, limits);
    // Without a header, sniff the gzip magic: neither encoding can start with 0x1f 0x8b (JSON
    // starts with `{`, and 0x1f would be a protobuf tag with the invalid wire type 7).
    if (coding === undefined && body[0] === 0x1f && body[1] === 0x8b) return gunzipSync(body, limits);
  } catch (error) {
    throw new OtlpDecodeError(`Could not decompress ${coding ?? 'gzip'} body: ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (coding === undefined || coding === 'identity') return body;
  throw new OtlpDecodeError(`Unsupported content-encoding \`${coding}\``);
}

// ---------------------------------------------------------------- protobuf

/** Visits every field; `read` returns true for the fields it consumed, the rest are skipped. */
function eachField(buf: Uint8Array, read: (t: number, r: ProtobufReader) => boolean): void {
  const r = new ProtobufReader(buf);
  while (!r.done) {
    const t = r.tag();
    if (!read(t, r)) r.skip(t);
  }
}

function decodeProtobuf(buf: Uint8Array): ReceivedSpan[] {
  const out: ReceivedSpan[] = [];
  eachField(buf, (t, r) => {
    if (t !== tag(1, WIRE_LEN)) return false;
    pbResourceSpans(r.bytes(), out);
    return true;
  });
  return out;
}

function pbResourceSpans(buf: Uint8Array, out: ReceivedSpan[]): void {
  let resource: Record<string, unknown> = {};
  const scopeSpans: Uint8Array[] = [];
  eachField(buf, (t, r) => {
    if (t === tag(1, WIRE_LEN)) resource = plainAttributes(pbAttributes(r.bytes(), 1));
    else if (t === tag(2, WIRE_LEN)) scopeSpans.push(r.bytes());
    else return false;
    return true;
  });
  // Field order on the wire is not guaranteed, so children are decoded once the resource is known.
  for (const s of scopeSpans) pbScopeSpans(s, resource, out);
}

function pbScopeSpans(buf: Uint8Array, resource: Record<string, unknown>, out: ReceivedSpan[]): void {
  let scope: Scope = { name: '' };
  const spans: Uint8Array[] = [];
  eachField(buf, (t, r) => {
    if (t === tag(1, WIRE_LEN)) scope = pbScope(r.bytes());
    else if (t === tag(2, WIRE_LEN)) spans.push(r.bytes());
    else return false;
    return true;
  });
  for (const s of spans) out.push(finishSpan(pbSpan(s), resource, scope));
}

function pbScope(buf: Uint8Array): Scope {
  const scope: Scope = { name: '' };
  eachField(buf, (t, r) => {
    if (t === tag(1, WIRE_LEN)) scope.name = r.string();
    else if (t === tag(2, WIRE_LEN)) {
      const version = r.string();
      if (version) scope.version = version;
    } else return false;
    return true;
  });
  return scope;
}

function pbSpan(buf: Uint8Array): SpanFields {
  const f = emptySpanFields();
  eachField(buf, (t, r) => {
    switch (t) {
      case tag(1, WIRE_LEN):
        f.traceId = hex(r.bytes());
        return true;
      case tag(2, WIRE_LEN):
        f.spanId = hex(r.bytes());
        return true;
      case tag(4, WIRE_LEN):
        f.parentSpanId = hex(r.bytes());
        return true;
      case tag(5, WIRE_LEN):
        f.name = r.string();
        return true;
      case tag(6, WIRE_VARINT):
        f.kind = r.int32();
        return true;
      case tag(7, WIRE_I64):
        f.start = r.fixed64();
        return true;
      case tag(8, WIRE_I64):
        f.end = r.fixed64();
        return true;
      case tag(9, WIRE_LEN): {
        setOwn(f.attrs, ...pbKeyValue(r.bytes()));
        return true;
      }
      case tag(11, WIRE_LEN):
        f.events.push(pbEvent(r.bytes()));
        return true;
      case tag(15, WIRE_LEN):
        eachField(r.bytes(), (st, sr) => {
          if (st === tag(2, WIRE_LEN)) f.message = sr.string();
          else if (st === tag(3, WIRE_VARINT)) f.code = sr.int32();
          else return false;
          return true;
        });
        return true;
      default:
        return false; // trace_state, flags, links and dropped counts are not modelled
    }
  });
  return f;
}

function pbEvent(buf: Uint8Array): ReceivedEvent {
  let name = '';
  let time = 0n;
  const attrs: Attrs = {};
  eachField(buf, (t, r) => {
    if (t === tag(1, WIRE_I64)) time = r.fixed64();
    else if (t === tag(2, WIRE_LEN)) name = r.string();
    else if (t === tag(3, WIRE_LEN)) setOwn(attrs, ...pbKeyValue(r.bytes()));
    else return false;
    return true;
  });
  return { name, timeUnixNano: time.toString(), attributes: plainAttributes(attrs), typedAttributes: attrs };
}

function pbAttributes(buf: Uint8Array, field: number, depth = 0): Attrs {
  const attrs: Attrs = {};
  eachField(buf, (t, r) => {
    if (t !== tag(field, WIRE_LEN)) return false;
    setOwn(attrs, ...pbKeyValue(r.bytes(), depth));
    return true;
  });
  return attrs;
}

function pbKeyValue(buf: Uint8Array, depth = 0): [string, TypedValue] {
  let key = '';
  let value: TypedValue = { type: 'empty' };
  eachField(buf, (t, r) => {
    if (t === tag(1, WIRE_LEN)) key = r.string();
    else if (t === tag(2, WIRE_LEN)) value = pbAnyValue(r.bytes(), depth + 1);
    else return false;
    return true;
  });
  return [key, value];
}

function pbAnyValue(buf: Uint8Array, depth: number): TypedValue {
  checkDepth(depth);
  // A oneof: when a writer repeats members, the last one wins, as in every protobuf runtime.
  let value: TypedValue = { type: 'empty' };
  eachField(buf, (t, r) => {
    switch (t) {
      case tag(1, WIRE_LEN):
        value = { type: 'string', value: r.string() };
        return true;
      case tag(2, WIRE_VARINT):
        value = { type: 'bool', value: r.bool() };
        return true;
      case tag(3, WIRE_VARINT):
        value = intValue(r.int64());
        return true;
      case tag(4, WIRE_I64):
        value = { type: 'double', value: r.double() };
        return true;
      case tag(5, WIRE_LEN): {
        const values: TypedValue[] = [];
        eachField(r.bytes(), (at, ar) => {
          if (at !== tag(1, WIRE_LEN)) return false;
          values.push(pbAnyValue(ar.bytes(), depth + 1));
          return true;
        });
        value = { type: 'array', values };
        return true;
      }
      case tag(6, WIRE_LEN):
        value = { type: 'kvlist', values: pbAttributes(r.bytes(), 1, depth) };
        return true;
      case tag(7, WIRE_LEN):
        value = { type: 'bytes', value: hex(r.bytes()) };
        return true;
      default:
        return false;
    }
  });
  return value;
}
