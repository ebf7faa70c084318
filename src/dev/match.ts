/**
 * The filters of the JSON API applied to spans and traces: facets (user, conversation, model,
 * provider), trace id, kind, free-text search, errors only, and a start-time bound.
 */
import { ATTR, STATUS_ERROR } from '../core/keys.js';
import { FACET_KEYS, nanosToMillis, sinceMillis, type FacetKey, type SpanFilter } from './shared.js';
import type { StoredSpan } from './store.js';

const str = (v: unknown): string | undefined =>
  typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined;

const FACET_ATTR: Record<FacetKey, string> = {
  userId: ATTR.userId,
  convoId: ATTR.convoId,
  model: ATTR.model,
  provider: ATTR.provider,
};

export function fieldOf(span: StoredSpan, field: FacetKey): string | undefined {
  return str(span.attributes[FACET_ATTR[field]]);
}

export const isError = (span: StoredSpan): boolean => span.status?.code === STATUS_ERROR;

/** Case-insensitive search over the name, ids and every attribute value of a span. */
export function spanContains(span: StoredSpan, needle: string): boolean {
  const q = needle.toLowerCase();
  if (span.name.toLowerCase().includes(q) || span.spanId === q || span.traceId === q) return true;
  for (const v of Object.values(span.attributes)) {
    const text = typeof v === 'string' ? v : Array.isArray(v) ? v.join(' ') : undefined;
    if (text?.toLowerCase().includes(q)) return true;
  }
  return span.status?.message?.toLowerCase().includes(q) ?? false;
}

function startsAfter(span: StoredSpan, since: string | undefined, now: number): boolean {
  const bound = since === undefined ? undefined : sinceMillis(since, now);
  return bound === undefined || nanosToMillis(span.endTimeUnixNano || span.startTimeUnixNano) >= bound;
}

/** Span-level match: the span itself carries every given value. `kind` is checked by the caller. */
export function spanMatches(span: StoredSpan, filter: SpanFilter, now = Date.now()): boolean {
  if (filter.traceId && span.traceId !== filter.traceId) return false;
  for (const k of FACET_KEYS) if (filter[k] && fieldOf(span, k) !== filter[k]) return false;
  if (filter.q && !spanContains(span, filter.q)) return false;
  if (filter.errors && !isError(span)) return false;
  return startsAfter(span, filter.since, now);
}

/**
 * Trace-level match: each given value appears on some span of the trace. The model usually sits
 * on an LLM child while the user sits on the root, so "user X with model Y" must look at both;
 * a search hit in any span, an error in any span, and activity since the bound all count.
 */
export function traceMatches(spans: StoredSpan[], filter: SpanFilter, now = Date.now()): boolean {
  if (filter.traceId && spans[0]?.traceId !== filter.traceId) return false;
  for (const k of FACET_KEYS) if (filter[k] && !spans.some((s) => fieldOf(s, k) === filter[k])) return false;
  if (filter.q && !spans.some((s) => spanContains(s, filter.q!))) return false;
  if (filter.errors && !spans.some(isError)) return false;
  return spans.some((s) => startsAfter(s, filter.since, now));
}
