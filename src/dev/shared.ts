/**
 * What the dev server (`src/dev`) and the dashboard's browser bundle (`dashboard/`) must agree
 * on: the filter keys of the JSON API and how values are formatted. Browser-safe on purpose
 * (no Node imports), so both sides import this one file instead of keeping copies that drift.
 */

/** Filters with a menu of known values (`/api/facets`). */
export const FACET_KEYS = ['userId', 'convoId', 'model', 'provider'] as const;
export type FacetKey = (typeof FACET_KEYS)[number];

/** Every filter `/api/spans`, `/api/traces`, `/api/llm-calls`, `/api/sessions` and `/api/users` take. */
export const FILTER_KEYS = [...FACET_KEYS, 'traceId', 'kind', 'q', 'errors', 'since'] as const;
export type FilterKey = (typeof FILTER_KEYS)[number];

/** Every field optional; all given ones must match. */
export type SpanFilter = Partial<Record<FilterKey, string>>;

export interface Facets {
  userIds: string[];
  convoIds: string[];
  models: string[];
  providers: string[];
}

export const FACET_LABELS: Record<FacetKey, string> = {
  userId: 'User',
  convoId: 'Conversation',
  model: 'Model',
  provider: 'Provider',
};

export const FACET_LISTS: Record<FacetKey, keyof Facets> = {
  userId: 'userIds',
  convoId: 'convoIds',
  model: 'models',
  provider: 'providers',
};

/** The time-range menu: `since` values relative to now. */
export const TIME_RANGES: Array<[value: string, label: string]> = [
  ['15m', 'Last 15 minutes'],
  ['1h', 'Last hour'],
  ['24h', 'Last 24 hours'],
  ['7d', 'Last 7 days'],
];

/** The filters set in `params` (empty values are unset). */
export function filterOf(params: URLSearchParams): SpanFilter {
  const filter: SpanFilter = {};
  for (const k of FILTER_KEYS) {
    const v = params.get(k);
    if (v) filter[k] = v;
  }
  return filter;
}

/** `?userId=..&model=..` from the filters set in `params`, plus `extra`. */
export function filterQuery(params: URLSearchParams, extra: Record<string, string> = {}): string {
  const q = new URLSearchParams(filterOf(params));
  for (const [k, v] of Object.entries(extra)) q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : '';
}

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * Epoch milliseconds of a `since` filter: a duration back from `now` (`15m`, `1h`, `7d`), epoch
 * milliseconds, or an ISO date. `undefined` when unreadable (the filter is then ignored).
 */
export function sinceMillis(since: string, now: number): number | undefined {
  const rel = /^(\d+(?:\.\d+)?)([smhd])$/.exec(since.trim());
  if (rel) return now - Number(rel[1]) * UNITS[rel[2]!]!;
  if (/^\d+$/.test(since.trim())) return Number(since);
  const t = Date.parse(since);
  return Number.isNaN(t) ? undefined : t;
}

/** `850 ms`, `1.25 s`, `2.1 min`; `sep` is what stands between number and unit. */
export function formatDuration(millis: number, sep = ' '): string {
  if (!Number.isFinite(millis) || millis < 0) return '?';
  if (millis === 0) return `0${sep}ms`;
  if (millis < 1) return `${millis.toFixed(2)}${sep}ms`;
  if (millis < 1000) return `${millis.toFixed(millis < 10 ? 1 : 0)}${sep}ms`;
  if (millis < 120_000) return `${(millis / 1000).toFixed(2)}${sep}s`;
  return `${(millis / 60_000).toFixed(1)}${sep}min`;
}

/**
 * Why a trace's headline duration (its root span's, what the root row shows) differs from the
 * time all its spans cover, or `undefined` when they agree within 1% (0.5 ms at least).
 */
export function durationNote(rootMillis: number | undefined, extentMillis: number): string | undefined {
  const extent = formatDuration(extentMillis);
  if (rootMillis === undefined) return `root span not received: ${extent} from the first to the last span that arrived`;
  if (extentMillis - rootMillis <= Math.max(0.5, rootMillis * 0.01)) return undefined;
  return `the root span's duration; all spans together cover ${extent} (some started before or ended after the root)`;
}

/** Collapses whitespace and cuts to `max` characters with an ellipsis. */
export function preview(value: unknown, max = 72): string | undefined {
  if (value === undefined || value === null) return undefined;
  const text = (typeof value === 'string' ? value : JSON.stringify(value)).replace(/\s+/g, ' ').trim();
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** `950`, `12.3k`, `4.56M`: token counts at a glance. */
export function formatTokens(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) return '–';
  if (n < 10_000) return n.toLocaleString('en-US');
  if (n < 1_000_000) return `${(n / 1000).toFixed(1)}k`;
  return `${(n / 1_000_000).toFixed(2)}M`;
}

/** US dollars with enough digits to tell small calls apart: `$0.00042`, `$0.0123`, `$1.50`. */
export function formatCost(usd: number | undefined): string {
  if (usd === undefined || !Number.isFinite(usd)) return '–';
  if (usd === 0) return '$0';
  if (usd < 0.01) return `$${usd.toPrecision(2)}`;
  if (usd < 1) return `$${usd.toFixed(4)}`;
  return `$${usd.toFixed(2)}`;
}

/** The object without its `undefined` fields: summaries omit what a span did not report. */
export function defined<T extends object>(fields: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) out[k] = v;
  return out as { [K in keyof T]?: Exclude<T[K], undefined> };
}

/** Pretty JSON when a string holds a JSON object or array (inputs and outputs often do). */
export function prettyIfJson(value: string): string | undefined {
  const parsed = parseJson(value);
  return parsed === undefined ? undefined : JSON.stringify(parsed, null, 2);
}

/** The object or array a string holds as JSON, else `undefined`. */
export function parseJson(value: unknown): unknown {
  if (typeof value !== 'string') return undefined;
  const t = value.trim();
  if (!(t.startsWith('{') || t.startsWith('['))) return undefined;
  try {
    return JSON.parse(t) as unknown;
  } catch {
    return undefined;
  }
}

/** Epoch milliseconds (fractional) of an OTLP nanosecond timestamp string. */
export function nanosToMillis(nanos: string): number {
  try {
    return Number(BigInt(nanos || '0') / 1000n) / 1000;
  } catch {
    return 0;
  }
}

/** Epoch nanoseconds as an ISO string (millisecond precision). */
export function isoOfNanos(nanos: string): string {
  return new Date(Math.floor(nanosToMillis(nanos))).toISOString();
}
