/**
 * The span model both OTLP encodings decode into, and the finishing step they share.
 */
import { OtlpDecodeError } from './protobuf-reader.js';

export type TypedValue =
  | { type: 'string'; value: string }
  | { type: 'bool'; value: boolean }
  /** A number when it is a safe integer, else its decimal string (int64 exceeds 2^53). */
  | { type: 'int'; value: number | string }
  | { type: 'double'; value: number }
  /** Lowercase hex. */
  | { type: 'bytes'; value: string }
  | { type: 'array'; values: TypedValue[] }
  | { type: 'kvlist'; values: Record<string, TypedValue> }
  | { type: 'empty' };

export interface ReceivedEvent {
  name: string;
  timeUnixNano: string;
  attributes: Record<string, unknown>;
  typedAttributes: Record<string, TypedValue>;
}

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  /** Omitted for root spans. */
  parentSpanId?: string;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  durationMillis: number;
  attributes: Record<string, unknown>;
  typedAttributes: Record<string, TypedValue>;
  events: ReceivedEvent[];
  status: { code: number; message?: string };
  resource: Record<string, unknown>;
  scope: { name: string; version?: string };
}

export type OtlpEncoding = 'protobuf' | 'json';

export type Scope = ReceivedSpan['scope'];
export type Attrs = Record<string, TypedValue>;
/** What both wire formats produce before the shared finishing step. */
export interface SpanFields {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  start: bigint;
  end: bigint;
  attrs: Attrs;
  events: ReceivedEvent[];
  code: number;
  message: string;
}

/**
 * Turns a typed value into the plain JS value a test would compare against: arrays as arrays,
 * kvlists as objects, bytes as hex, an empty value as `null`.
 * @example plainValue({ type: 'int', value: 3 }) // 3
 */
export function plainValue(v: TypedValue): unknown {
  switch (v.type) {
    case 'array':
      return v.values.map(plainValue);
    case 'kvlist':
      return plainAttributes(v.values);
    case 'empty':
      return null;
    default:
      return v.value;
  }
}

export function plainAttributes(attrs: Attrs): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(attrs)) setOwn(out, k, plainValue(v));
  return out;
}

export function finishSpan(f: SpanFields, resource: Record<string, unknown>, scope: Scope): ReceivedSpan {
  const span: ReceivedSpan = {
    traceId: f.traceId,
    spanId: f.spanId,
    name: f.name,
    kind: f.kind,
    startTimeUnixNano: f.start.toString(),
    endTimeUnixNano: f.end.toString(),
    durationMillis: Number(f.end - f.start) / 1e6,
    attributes: plainAttributes(f.attrs),
    typedAttributes: f.attrs,
    events: f.events,
    status: f.message ? { code: f.code, message: f.message } : { code: f.code },
    resource,
    scope,
  };
  if (f.parentSpanId) span.parentSpanId = f.parentSpanId;
  return span;
}

export function emptySpanFields(): SpanFields {
  return {
    traceId: '',
    spanId: '',
    parentSpanId: '',
    name: '',
    kind: 0,
    start: 0n,
    end: 0n,
    attrs: {},
    events: [],
    code: 0,
    message: '',
  };
}

/** Adds a key; plain assignment of a `__proto__` key from the wire would swap the prototype instead. */
export function setOwn<T>(target: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

// Attribute values nest arrays and kvlists; a cap keeps hostile input from overflowing the stack
// (a few bytes per level are enough to nest a million deep).
const MAX_VALUE_DEPTH = 100;

export function checkDepth(depth: number): void {
  if (depth > MAX_VALUE_DEPTH) throw new OtlpDecodeError(`Attribute values nest deeper than ${MAX_VALUE_DEPTH} levels`);
}

export function intValue(v: bigint): TypedValue {
  const n = Number(v);
  return { type: 'int', value: Number.isSafeInteger(n) ? n : v.toString() };
}

// Ids travel as raw bytes in protobuf; the model, like OTLP/JSON, uses lowercase hex.
export const hex = (bytes: Uint8Array): string =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
