/**
 * Read models over stored spans: what the JSON API, the dashboard and the terminal tree show.
 * Pure functions of the spans, so they are easy to test and the store stays a plain log.
 */
import { ATTR } from '../core/record.js';
import type { StoredSpan } from './store.js';

/** `tool`, `llm`, `trajectory` (a span with children, or an agent/chain span), or a plain `event`. */
export type SpanCategory = 'tool' | 'llm' | 'trajectory' | 'event';

// The same attribute keys the SDK writes: one definition, so the dashboard cannot drift from the wire contract.
export { ATTR } from '../core/record.js';

/** Filters of `/api/spans` and `/api/traces`; every field optional, all given ones must match. */
export interface SpanFilter {
  userId?: string;
  convoId?: string;
  model?: string;
  provider?: string;
  traceId?: string;
}

export const FILTER_KEYS = ['userId', 'convoId', 'model', 'provider', 'traceId'] as const;

/** A span's headline fields, as the lists and the terminal show them. */
export interface SpanSummary {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  category: SpanCategory;
  userId?: string;
  convoId?: string;
  model?: string;
  provider?: string;
  input?: string;
  output?: string;
  inputTokens?: number;
  outputTokens?: number;
  startTime: string;
  durationMillis: number;
  /** `ok` covers OTLP's UNSET and OK; `error` carries the status message. */
  status: 'ok' | 'error';
  statusMessage?: string;
  receivedAt: string;
}

export interface TraceSummary {
  traceId: string;
  /** The root span; absent while only children have arrived. */
  root?: SpanSummary;
  name: string;
  spanCount: number;
  startTime: string;
  /** Exact start (epoch ns, decimal), for ordering turns that start within the same millisecond. */
  startTimeUnixNano: string;
  durationMillis: number;
  userIds: string[];
  convoIds: string[];
  models: string[];
  providers: string[];
  errors: number;
  lastReceivedAt: string;
}

export interface SpanNode extends StoredSpan {
  category: SpanCategory;
  children: SpanNode[];
}

export interface SessionSummary {
  convoId: string;
  userIds: string[];
  traceIds: string[];
  spanCount: number;
  models: string[];
  firstStartTime: string;
  lastStartTime: string;
}

export interface UserSummary {
  userId: string;
  convoIds: string[];
  traceCount: number;
  spanCount: number;
  lastStartTime: string;
}

const str = (v: unknown): string | undefined =>
  typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined;
const num = (v: unknown): number | undefined =>
  typeof v === 'number' ? v : typeof v === 'string' && v !== '' && Number.isFinite(Number(v)) ? Number(v) : undefined;

export function fieldOf(span: StoredSpan, field: Exclude<keyof SpanFilter, 'traceId'>): string | undefined {
  return str(span.attributes[ATTR[field]]);
}

/** Epoch nanoseconds as an ISO string (millisecond precision). */
export function isoOfNanos(nanos: string): string {
  const ms = Number(BigInt(nanos || '0') / 1_000_000n);
  return new Date(ms).toISOString();
}

/** Classifies a span; `hasChildren` lets a `begin()` trajectory without model be told from an event. */
export function categorize(span: StoredSpan, hasChildren: boolean): SpanCategory {
  const kind = str(span.attributes[ATTR.kind])?.toLowerCase();
  if (kind === 'tool') return 'tool';
  if (kind === 'agent' || kind === 'chain') return 'trajectory';
  if (kind === 'llm' && !hasChildren) return 'llm';
  if (hasChildren) return 'trajectory';
  if (span.attributes[ATTR.model] !== undefined || span.attributes[ATTR.provider] !== undefined) return 'llm';
  return 'event';
}

export function summarize(span: StoredSpan, hasChildren: boolean): SpanSummary {
  const a = span.attributes;
  const summary: SpanSummary = {
    traceId: span.traceId,
    spanId: span.spanId,
    name: span.name,
    category: categorize(span, hasChildren),
    startTime: isoOfNanos(span.startTimeUnixNano),
    durationMillis: span.durationMillis,
    status: span.status?.code === 2 ? 'error' : 'ok',
    receivedAt: span.receivedAt,
  };
  if (span.parentSpanId) summary.parentSpanId = span.parentSpanId;
  const put = <K extends keyof SpanSummary>(k: K, v: SpanSummary[K] | undefined) => {
    if (v !== undefined) summary[k] = v;
  };
  put('userId', str(a[ATTR.userId]));
  put('convoId', str(a[ATTR.convoId]));
  put('model', str(a[ATTR.model]));
  put('provider', str(a[ATTR.provider]));
  put('input', str(a[ATTR.input]));
  put('output', str(a[ATTR.output]));
  put('inputTokens', num(a[ATTR.inputTokens]));
  put('outputTokens', num(a[ATTR.outputTokens]));
  if (summary.status === 'error') put('statusMessage', span.status.message);
  return summary;
}

/** Span-level match: the span's own attributes carry every given value. */
export function spanMatches(span: StoredSpan, filter: SpanFilter): boolean {
  if (filter.traceId && span.traceId !== filter.traceId) return false;
  for (const k of ['userId', 'convoId', 'model', 'provider'] as const) {
    if (filter[k] && fieldOf(span, k) !== filter[k]) return false;
  }
  return true;
}

/**
 * Trace-level match: each given value appears on some span of the trace. The model usually sits
 * on an LLM child while the user sits on the root, so "user X with model Y" must look at both.
 */
export function traceMatches(spans: StoredSpan[], filter: SpanFilter): boolean {
  if (filter.traceId && spans[0]?.traceId !== filter.traceId) return false;
  for (const k of ['userId', 'convoId', 'model', 'provider'] as const) {
    if (filter[k] && !spans.some((s) => fieldOf(s, k) === filter[k])) return false;
  }
  return true;
}

const byStart = (a: StoredSpan, b: StoredSpan) => compareNanos(a.startTimeUnixNano, b.startTimeUnixNano);

function compareNanos(a: string, b: string): number {
  const x = BigInt(a || '0');
  const y = BigInt(b || '0');
  return x < y ? -1 : x > y ? 1 : 0;
}

function distinct(values: (string | undefined)[]): string[] {
  return [...new Set(values.filter((v): v is string => v !== undefined && v !== ''))];
}

/** Roots of a trace (spans whose parent is not in it) with their children, each level by start time. */
export function buildTree(spans: StoredSpan[]): SpanNode[] {
  const ids = new Set(spans.map((s) => s.spanId));
  const childrenOf = new Map<string, StoredSpan[]>();
  const roots: StoredSpan[] = [];
  for (const s of spans) {
    if (s.parentSpanId && ids.has(s.parentSpanId) && s.parentSpanId !== s.spanId) {
      const list = childrenOf.get(s.parentSpanId) ?? [];
      list.push(s);
      childrenOf.set(s.parentSpanId, list);
    } else roots.push(s);
  }
  // `seen` guards against a malformed trace whose parent links form a cycle.
  const seen = new Set<string>();
  const build = (s: StoredSpan): SpanNode => {
    seen.add(s.spanId);
    const kids = (childrenOf.get(s.spanId) ?? []).filter((c) => !seen.has(c.spanId)).sort(byStart);
    return { ...s, category: categorize(s, kids.length > 0), children: kids.map(build) };
  };
  const tree = roots.sort(byStart).map(build);
  // Spans caught in a parent cycle are reachable from no root: show them as roots too.
  for (const s of [...spans].sort(byStart)) if (!seen.has(s.spanId)) tree.push(build(s));
  return tree;
}

/** The root span: the one without a parent (the earliest if several), if it has arrived. */
export function rootOf(spans: StoredSpan[]): StoredSpan | undefined {
  return spans.filter((s) => !s.parentSpanId).sort(byStart)[0];
}

export function summarizeTrace(spans: StoredSpan[]): TraceSummary {
  const sorted = [...spans].sort(byStart);
  const first = sorted[0]!;
  const root = rootOf(spans);
  const parents = new Set(spans.map((s) => s.parentSpanId));
  const start = BigInt(first.startTimeUnixNano || '0');
  const end = spans.reduce(
    (m, s) => (BigInt(s.endTimeUnixNano || '0') > m ? BigInt(s.endTimeUnixNano || '0') : m),
    start,
  );
  const summary: TraceSummary = {
    traceId: first.traceId,
    name: root?.name ?? first.name,
    spanCount: spans.length,
    startTime: isoOfNanos(first.startTimeUnixNano),
    startTimeUnixNano: first.startTimeUnixNano,
    durationMillis: Number(end - start) / 1e6,
    userIds: distinct(spans.map((s) => fieldOf(s, 'userId'))),
    convoIds: distinct(spans.map((s) => fieldOf(s, 'convoId'))),
    models: distinct(spans.map((s) => fieldOf(s, 'model'))),
    providers: distinct(spans.map((s) => fieldOf(s, 'provider'))),
    errors: spans.filter((s) => s.status?.code === 2).length,
    // biome-ignore lint/complexity/useMathMinMax: ISO timestamps compare as strings
    lastReceivedAt: spans.reduce((m, s) => (s.receivedAt > m ? s.receivedAt : m), ''),
  };
  if (root) summary.root = summarize(root, parents.has(root.spanId));
  return summary;
}

/**
 * Newest first: by start time, then by arrival. Turns recorded back to back can start in the same
 * millisecond (the SDK's clock resolution) and arrive in one batch, so the last tie-break is the
 * order the store first saw each trace (`groups` order), later = newer.
 */
export function traceSummaries(groups: StoredSpan[][], filter: SpanFilter = {}): TraceSummary[] {
  return groups
    .map((g, order) => ({ g, order }))
    .filter(({ g }) => g.length > 0 && traceMatches(g, filter))
    .map(({ g, order }) => ({ t: summarizeTrace(g), order }))
    .sort(
      (a, b) =>
        compareNanos(b.t.startTimeUnixNano, a.t.startTimeUnixNano) ||
        b.t.lastReceivedAt.localeCompare(a.t.lastReceivedAt) ||
        b.order - a.order,
    )
    .map(({ t }) => t);
}

/** Conversations (`gen_ai.conversation.id`), most recently active first, traces newest first. */
export function sessions(traces: TraceSummary[]): SessionSummary[] {
  const out = new Map<string, SessionSummary>();
  // `traces` is newest first, so the first trace seen for a conversation is its latest.
  for (const t of traces) {
    for (const convoId of t.convoIds) {
      let s = out.get(convoId);
      if (!s)
        out.set(
          convoId,
          (s = {
            convoId,
            userIds: [],
            traceIds: [],
            spanCount: 0,
            models: [],
            firstStartTime: t.startTime,
            lastStartTime: t.startTime,
          }),
        );
      s.traceIds.push(t.traceId);
      s.spanCount += t.spanCount;
      s.userIds = distinct([...s.userIds, ...t.userIds]);
      s.models = distinct([...s.models, ...t.models]);
      if (t.startTime < s.firstStartTime) s.firstStartTime = t.startTime;
      if (t.startTime > s.lastStartTime) s.lastStartTime = t.startTime;
    }
  }
  return [...out.values()].sort((a, b) => b.lastStartTime.localeCompare(a.lastStartTime));
}

export function users(traces: TraceSummary[]): UserSummary[] {
  const out = new Map<string, UserSummary>();
  for (const t of traces) {
    for (const userId of t.userIds) {
      let u = out.get(userId);
      if (!u) out.set(userId, (u = { userId, convoIds: [], traceCount: 0, spanCount: 0, lastStartTime: t.startTime }));
      u.traceCount++;
      u.spanCount += t.spanCount;
      u.convoIds = distinct([...u.convoIds, ...t.convoIds]);
      if (t.startTime > u.lastStartTime) u.lastStartTime = t.startTime;
    }
  }
  return [...out.values()].sort((a, b) => b.lastStartTime.localeCompare(a.lastStartTime));
}

/** Every value the dashboard's filter menus can offer. */
export function facets(traces: TraceSummary[]): {
  userIds: string[];
  convoIds: string[];
  models: string[];
  providers: string[];
} {
  const all = (pick: (t: TraceSummary) => string[]) => distinct(traces.flatMap(pick)).sort();
  return {
    userIds: all((t) => t.userIds),
    convoIds: all((t) => t.convoIds),
    models: all((t) => t.models),
    providers: all((t) => t.providers),
  };
}
