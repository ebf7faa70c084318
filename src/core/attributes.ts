/**
 * Turns whatever a user passes as a property, input or output into an OpenTelemetry attribute
 * value without ever throwing. The encoding (documented in the README):
 * - string, boolean, finite number: as-is (integers go out as OTLP int, others as double;
 *   whole numbers beyond the int64 range as their string);
 * - arrays of one primitive type: as-is; other arrays and objects: a JSON string;
 * - `null`/`undefined`: dropped; `NaN`/`Infinity`: the strings "NaN"/"Infinity"/"-Infinity";
 * - `bigint`: its decimal string; `Date`: ISO string; `Error`: JSON of name/message/stack;
 * - functions and symbols: "[Function name]" / "Symbol(desc)";
 * - inside JSON: circular references become "[Circular]", depth past 32 "[Truncated]", and a
 *   getter or `toJSON` that throws "[Unserializable]".
 * - strings longer than the limit are cut and end with the marker `…[truncated N chars]`; so are
 *   property keys and span names.
 */
import type { AttributeValue, Attributes } from '@opentelemetry/api';

const MAX_DEPTH = 32;

export function truncate(value: string, limit: number): string {
  if (value.length <= limit) return value;
  let cut = limit;
  // Do not leave half of a surrogate pair at the cut, which would make the string invalid UTF-16.
  const code = value.charCodeAt(cut - 1);
  if (code >= 0xd800 && code <= 0xdbff) cut -= 1;
  return `${value.slice(0, cut)}…[truncated ${value.length - cut} chars]`;
}

function scalarToString(value: unknown): string | undefined {
  switch (typeof value) {
    case 'number':
      return String(value); // only reached for NaN and ±Infinity
    case 'bigint':
      return value.toString();
    case 'symbol':
      return value.toString();
    case 'function':
      return `[Function ${value.name || 'anonymous'}]`;
    default:
      return undefined;
  }
}

function errorToObject(error: Error): Record<string, unknown> {
  const out: Record<string, unknown> = { name: error.name, message: error.message };
  if (error.stack) out.stack = error.stack;
  return out;
}

/**
 * Whether `JSON.stringify` alone encodes `v` exactly as `safeJson` would: only plain objects,
 * arrays, strings, finite numbers, booleans and null, not too deep. Checking first and then
 * using the native stringify is several times faster than the careful walk for typical chat
 * messages, which keeps `trackAi` cheap.
 */
function isPlainJson(v: unknown, depth: number): boolean {
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(v);
    case 'object': {
      if (v === null) return true;
      if (depth >= MAX_DEPTH) return false;
      if (Array.isArray(v)) {
        for (let i = 0; i < v.length; i++) if (!isPlainJson(v[i], depth + 1)) return false;
        return true;
      }
      const proto = Object.getPrototypeOf(v);
      if (proto !== Object.prototype && proto !== null) return false;
      if (typeof (v as { toJSON?: unknown }).toJSON === 'function') return false;
      for (const key in v) {
        if (!Object.hasOwn(v, key) || !isPlainJson((v as Record<string, unknown>)[key], depth + 1)) return false;
      }
      return true;
    }
    default:
      return false;
  }
}

/** JSON.stringify that cannot throw, for any value a user might hand us. */
export function safeJson(value: unknown): string {
  try {
    // Getters and proxies can throw or lie during the check; the careful walk below handles them.
    if (isPlainJson(value, 0)) return JSON.stringify(value);
  } catch {
    /* fall through */
  }
  const ancestors: object[] = [];
  const visit = (v: unknown, depth: number): unknown => {
    if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
    if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
    if (v === undefined) return undefined;
    if (typeof v !== 'object') return scalarToString(v);
    if (ancestors.includes(v)) return '[Circular]';
    if (depth >= MAX_DEPTH) return '[Truncated]';
    try {
      if (v instanceof Date) return Number.isNaN(v.getTime()) ? 'Invalid Date' : v.toISOString();
      if (v instanceof Error) v = errorToObject(v);
      else if (typeof (v as { toJSON?: unknown }).toJSON === 'function') {
        return visit((v as { toJSON: () => unknown }).toJSON(), depth + 1);
      } else if (v instanceof Map) v = Object.fromEntries([...v.entries()].map(([k, x]) => [String(k), x]));
      else if (v instanceof Set) v = [...v];
      else if (ArrayBuffer.isView(v)) v = Array.from(v as unknown as ArrayLike<number>);
      ancestors.push(v as object);
      try {
        if (Array.isArray(v)) return v.map((item) => visit(item, depth + 1) ?? null);
        const out: Record<string, unknown> = Object.create(null);
        for (const key of Object.keys(v as object)) {
          let item: unknown;
          try {
            item = (v as Record<string, unknown>)[key];
          } catch {
            item = '[Unserializable]';
          }
          const encoded = visit(item, depth + 1);
          // defineProperty, because assigning to a `__proto__` key would change the prototype.
          if (encoded !== undefined)
            Object.defineProperty(out, key, { value: encoded, enumerable: true, writable: true, configurable: true });
        }
        return out;
      } finally {
        ancestors.pop();
      }
    } catch {
      return '[Unserializable]';
    }
  };
  try {
    const result = JSON.stringify(visit(value, 0));
    return result ?? 'null';
  } catch {
    return '"[Unserializable]"';
  }
}

/**
 * OpenTelemetry JS sends every whole number as an OTLP int; past the int64 range the JSON encoding
 * would then carry a value no collector can parse, so such numbers go out as their string.
 */
function beyondInt64(n: number): boolean {
  return Number.isInteger(n) && Math.abs(n) >= 2 ** 63;
}

function homogeneousPrimitiveArray(values: unknown[]): boolean {
  if (values.length === 0) return true;
  const first = typeof values[0];
  if (first !== 'string' && first !== 'number' && first !== 'boolean') return false;
  for (const v of values) {
    if (typeof v !== first) return false;
    if (first === 'number' && (!Number.isFinite(v as number) || beyondInt64(v as number))) return false;
  }
  return true;
}

/** Encodes one property value; `undefined` means "write no attribute". Never throws. */
export function encodeProperty(value: unknown, limit: number): AttributeValue | undefined {
  try {
    switch (typeof value) {
      case 'string':
        return truncate(value, limit);
      case 'boolean':
        return value;
      case 'number':
        return Number.isFinite(value) && !beyondInt64(value) ? value : String(value);
      case 'undefined':
        return undefined;
      case 'bigint':
      case 'symbol':
      case 'function':
        return scalarToString(value);
      default:
        break;
    }
    if (value === null) return undefined;
    if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
    if (Array.isArray(value) && homogeneousPrimitiveArray(value)) {
      if (typeof value[0] === 'string') return (value as string[]).map((s) => truncate(s, limit));
      return [...(value as number[] | boolean[])] as AttributeValue;
    }
    return truncate(safeJson(value), limit);
  } catch {
    return '[Unserializable]';
  }
}

/** Encodes `input`/`output`: strings as-is, anything else as JSON. */
export function encodePayload(value: unknown, limit: number): string | undefined {
  // SPEC §4: a field passed as nothing (null, '') is omitted like one not passed, never written empty.
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'string') return truncate(value, limit);
  // A function, symbol or bigint reads as it does in properties, not as a JSON-quoted string.
  return truncate(scalarToString(value) ?? safeJson(value), limit);
}

/**
 * Copies user properties into `target`, keys as-is. `__proto__` is skipped: it cannot be an
 * own key of a plain attributes object, and writing it would replace that object's prototype.
 */
export function encodeProperties(properties: unknown, limit: number, target: Attributes): void {
  if (properties === null || typeof properties !== 'object') return;
  let keys: string[];
  try {
    keys = Object.keys(properties);
  } catch {
    return;
  }
  for (const key of keys) {
    if (key === '__proto__' || key === '') continue;
    let raw: unknown;
    try {
      raw = (properties as Record<string, unknown>)[key];
    } catch {
      raw = '[Unserializable]';
    }
    const encoded = encodeProperty(raw, limit);
    // Keys are bounded like values (same marker): a 10 MB key must not make a 10 MB request.
    if (encoded !== undefined) target[truncate(key, limit)] = encoded;
  }
}
