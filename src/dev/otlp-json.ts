/**
 * OTLP/JSON normaliser. Accepts what @opentelemetry/otlp-transformer's JSON serializer writes
 * (hex ids, numbers for int64 values, decimal strings for times) as well as the stricter
 * proto3 JSON forms (decimal strings for int64, enum names, snake_case field names).
 */
import { OtlpDecodeError } from './protobuf-reader.js';
import { checkDepth, finishSpan, intValue, plainAttributes, setOwn } from './otlp-model.js';
import type { Attrs, ReceivedSpan, Scope, SpanFields, TypedValue } from './otlp-model.js';

type JsonObject = Record<string, unknown>;

const SPAN_KINDS = [
  'SPAN_KIND_UNSPECIFIED',
  'SPAN_KIND_INTERNAL',
  'SPAN_KIND_SERVER',
  'SPAN_KIND_CLIENT',
  'SPAN_KIND_PRODUCER',
  'SPAN_KIND_CONSUMER',
];
const STATUS_CODES = ['STATUS_CODE_UNSET', 'STATUS_CODE_OK', 'STATUS_CODE_ERROR'];

export function decodeJson(buf: Uint8Array): ReceivedSpan[] {
  let root: unknown;
  try {
    root = JSON.parse(new TextDecoder().decode(buf));
  } catch (error) {
    throw new OtlpDecodeError(`Malformed JSON: ${(error as Error).message}`, { cause: error });
  }
  const out: ReceivedSpan[] = [];
  for (const rs of list(object(root, 'request'), 'resourceSpans')) {
    const resourceSpans = object(rs, 'resourceSpans[]');
    const res = field(resourceSpans, 'resource');
    const resource = res == null ? {} : plainAttributes(jsonAttributes(object(res, 'resource')));
    for (const ss of list(resourceSpans, 'scopeSpans')) {
      const scopeSpans = object(ss, 'scopeSpans[]');
      const s = field(scopeSpans, 'scope');
      const scopeObject = s == null ? {} : object(s, 'scope');
      const scope: Scope = { name: text(field(scopeObject, 'name'), 'scope.name') };
      const version = text(field(scopeObject, 'version'), 'scope.version');
      if (version) scope.version = version;
      for (const span of list(scopeSpans, 'spans'))
        out.push(finishSpan(jsonSpan(object(span, 'span')), resource, scope));
    }
  }
  return out;
}

function jsonSpan(o: JsonObject): SpanFields {
  const status = field(o, 'status');
  const statusObject = status == null ? {} : object(status, 'status');
  return {
    traceId: id(field(o, 'traceId'), 16, 'traceId'),
    spanId: id(field(o, 'spanId'), 8, 'spanId'),
    parentSpanId: id(field(o, 'parentSpanId'), 8, 'parentSpanId'),
    name: text(field(o, 'name'), 'span.name'),
    kind: enumValue(field(o, 'kind'), SPAN_KINDS, 'span.kind'),
    start: integer(field(o, 'startTimeUnixNano'), 'startTimeUnixNano'),
    end: integer(field(o, 'endTimeUnixNano'), 'endTimeUnixNano'),
    attrs: jsonAttributes(o),
    events: list(o, 'events').map((e) => {
      const event = object(e, 'event');
      const attrs = jsonAttributes(event);
      return {
        name: text(field(event, 'name'), 'event.name'),
        timeUnixNano: integer(field(event, 'timeUnixNano'), 'event.timeUnixNano').toString(),
        attributes: plainAttributes(attrs),
        typedAttributes: attrs,
      };
    }),
    code: enumValue(field(statusObject, 'code'), STATUS_CODES, 'status.code'),
    message: text(field(statusObject, 'message'), 'status.message'),
  };
}

function jsonAttributes(o: JsonObject, key = 'attributes', depth = 0): Attrs {
  const attrs: Attrs = {};
  for (const item of list(o, key)) {
    const kv = object(item, 'KeyValue');
    const value = field(kv, 'value');
    setOwn(
      attrs,
      text(field(kv, 'key'), 'KeyValue.key'),
      value == null ? { type: 'empty' } : jsonAnyValue(value, depth + 1),
    );
  }
  return attrs;
}

function jsonAnyValue(v: unknown, depth: number): TypedValue {
  checkDepth(depth);
  const o = object(v, 'AnyValue');
  // JSON.stringify turns NaN and ±Infinity into null, so a null member counts as unset, the
  // proto3 JSON rule; such a value decodes as `empty`.
  const member = (name: string): unknown => field(o, name) ?? undefined;
  let x: unknown;
  if ((x = member('stringValue')) !== undefined) return { type: 'string', value: text(x, 'stringValue') };
  if ((x = member('boolValue')) !== undefined) {
    if (typeof x !== 'boolean')
      throw new OtlpDecodeError(`Expected boolValue to be a boolean, got ${JSON.stringify(x)}`);
    return { type: 'bool', value: x };
  }
  if ((x = member('intValue')) !== undefined) {
    const n = integer(x, 'intValue', true);
    // The JS JSON exporter writes any integral number as intValue, even 1e20; int64 cannot hold
    // it, so reject the request as a collector would rather than wrap it around.
    if (BigInt.asIntN(64, n) !== n) throw new OtlpDecodeError(`intValue ${n} is outside the int64 range`);
    return intValue(n);
  }
  if ((x = member('doubleValue')) !== undefined) {
    // proto3 JSON allows "NaN", "Infinity" and numeric strings for doubles.
    const n = typeof x === 'string' ? Number(x) : x;
    if (typeof n !== 'number' || (typeof x === 'string' && Number.isNaN(n) && x !== 'NaN')) {
      throw new OtlpDecodeError(`Expected doubleValue to be a number, got ${JSON.stringify(x)}`);
    }
    return { type: 'double', value: n };
  }
  if ((x = member('arrayValue')) !== undefined) {
    return {
      type: 'array',
      values: list(object(x, 'arrayValue'), 'values').map((item) => jsonAnyValue(item, depth + 1)),
    };
  }
  if ((x = member('kvlistValue')) !== undefined)
    return { type: 'kvlist', values: jsonAttributes(object(x, 'kvlistValue'), 'values', depth) };
  // Per the OTLP/JSON spec only trace and span ids are hex; bytes values stay base64.
  if ((x = member('bytesValue')) !== undefined)
    return { type: 'bytes', value: Buffer.from(text(x, 'bytesValue'), 'base64').toString('hex') };
  return { type: 'empty' };
}

/** Reads a member by its lowerCamelCase name, falling back to the proto field name. */
function field(o: JsonObject, camel: string): unknown {
  return o[camel] ?? o[camel.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)];
}

function object(v: unknown, what: string): JsonObject {
  if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as JsonObject;
  throw new OtlpDecodeError(
    `Expected ${what} to be an object, got ${v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v}`,
  );
}

function list(o: JsonObject, key: string): unknown[] {
  const v = field(o, key);
  if (v == null) return [];
  if (Array.isArray(v)) return v;
  throw new OtlpDecodeError(`Expected ${key} to be an array, got ${typeof v}`);
}

function text(v: unknown, what: string): string {
  if (v == null) return '';
  if (typeof v === 'string') return v;
  throw new OtlpDecodeError(`Expected ${what} to be a string, got ${JSON.stringify(v)}`);
}

/** int64/fixed64 in JSON: a decimal string (the spec) or a plain number (what JS writers emit). */
function integer(v: unknown, what: string, signed = false): bigint {
  if (v == null) return 0n;
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  if (typeof v === 'string' && (signed ? /^-?\d+$/ : /^\d+$/).test(v)) return BigInt(v);
  throw new OtlpDecodeError(`Expected ${what} to be an integer or a decimal string, got ${JSON.stringify(v)}`);
}

function enumValue(v: unknown, names: string[], what: string): number {
  if (v == null) return 0;
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  const index = typeof v === 'string' ? names.indexOf(v) : -1;
  if (index >= 0) return index;
  throw new OtlpDecodeError(`Expected ${what} to be an enum number or name, got ${JSON.stringify(v)}`);
}

/** Ids are hex in OTLP/JSON; base64 (protobuf's generic JSON mapping) is accepted as a fallback. */
function id(v: unknown, bytes: number, what: string): string {
  const s = text(v, what);
  const isHex = /^(?:[0-9a-fA-F]{2})*$/.test(s);
  if (isHex && s.length === bytes * 2) return s.toLowerCase();
  if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(s)) {
    const decoded = Buffer.from(s, 'base64');
    if (decoded.length === bytes) return decoded.toString('hex');
  }
  if (isHex) return s.toLowerCase();
  throw new OtlpDecodeError(`Expected ${what} to be hex, got ${JSON.stringify(s)}`);
}
