/**
 * Read models over stored spans: what the JSON API, the dashboard and the terminal tree show.
 * Pure functions of the spans, so they are easy to test and the store stays a plain log.
 */
import { ATTR, RESOURCE, SPAN_KIND } from '../core/keys.js';
import { lastUserText } from './chat.js';
import { fieldOf, isError, traceMatches } from './match.js';
import { DEFAULT_PRICES, type PriceTable } from './prices.js';
import { defined, isoOfNanos, preview, type SpanFilter } from './shared.js';
import type { StoredSpan } from './store.js';
import { addCall, emptyUsage, spanUsage, type SpanUsage, type Usage } from './usage.js';

/**
 * `llm` (kind `llm`, or a model, provider or token counts), `tool` (kind `tool`), `trajectory`
 * (a `begin()`: a span with children, kind `agent`/`chain`, or a childless span with none of the
 * LLM fields, which is what a `begin()` that recorded nothing inside looks like), or `event` (any
 * other explicit OpenInference kind, e.g. `retriever`).
 */
export type SpanCategory = 'tool' | 'llm' | 'trajectory' | 'event';

/** A span's headline fields, as the lists and the terminal show them. */
export interface SpanSummary extends SpanUsage {
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
  /** The root's category; `trajectory` while the root is missing but children arrived. */
  kind: SpanCategory;
  spanCount: number;
  startTime: string;
  /** Exact start (epoch ns, decimal), for ordering turns that start within the same millisecond. */
  startTimeUnixNano: string;
  /** The root span's duration (what its row shows), or `extentMillis` without a root. */
  durationMillis: number;
  /** First start to last end over every span; differs from the root's when a child outlives it. */
  extentMillis: number;
  userIds: string[];
  convoIds: string[];
  models: string[];
  providers: string[];
  serviceNames: string[];
  errors: number;
  toolCalls: number;
  /** Spans whose parent span is not in the trace (not received, or lost). */
  missingParents: number;
  usage: Usage;
  /** Every span but the root, by start time: what the turn did, step by step (at most 40). */
  steps: StepSummary[];
  lastReceivedAt: string;
}

/** One step of a turn, as the session view lists it. */
export interface StepSummary extends SpanUsage {
  spanId: string;
  name: string;
  category: SpanCategory;
  model?: string;
  /** Start relative to the trace's first span. */
  offsetMillis: number;
  durationMillis: number;
  status: 'ok' | 'error';
  /** A tool's arguments, or the error message of a failed step, cut short. */
  detail?: string;
}

export interface SpanNode extends StoredSpan, SpanUsage {
  category: SpanCategory;
  /** The span names a parent that is not in the trace. */
  missingParent?: true;
  children: SpanNode[];
}

/** One LLM call for the "LLM calls" list: where it ran, what it was asked. */
export interface LlmCallSummary extends SpanSummary {
  /** This call's own usage, so a list of calls sums like a list of traces. */
  usage: Usage;
  errors: number;
  /** The trace's root when the call ran inside a trajectory; absent for a standalone call. */
  trajectory?: { spanId: string; name: string };
  /** The last user message of its prompt. */
  question?: string;
}

const str = (v: unknown): string | undefined =>
  typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined;

/** Classifies a span; `hasChildren` tells a `begin()` with model fields from an LLM call. */
export function categorize(span: StoredSpan, hasChildren: boolean): SpanCategory {
  const kind = str(span.attributes[ATTR.kind])?.toLowerCase();
  if (kind === SPAN_KIND.tool) return 'tool';
  if (kind === SPAN_KIND.llm) return 'llm';
  if (kind === SPAN_KIND.agent || kind === SPAN_KIND.chain || hasChildren) return 'trajectory';
  if (kind) return 'event';
  const a = span.attributes;
  const llmField = [ATTR.model, ATTR.provider, ATTR.inputTokens, ATTR.outputTokens].some((k) => a[k] !== undefined);
  return llmField ? 'llm' : 'trajectory';
}

export function summarize(span: StoredSpan, hasChildren: boolean, prices: PriceTable = DEFAULT_PRICES): SpanSummary {
  const a = span.attributes;
  const summary: SpanSummary = {
    traceId: span.traceId,
    spanId: span.spanId,
    name: span.name,
    category: categorize(span, hasChildren),
    startTime: isoOfNanos(span.startTimeUnixNano),
    durationMillis: span.durationMillis,
    status: isError(span) ? 'error' : 'ok',
    receivedAt: span.receivedAt,
    ...spanUsage(span, prices),
  };
  return Object.assign(
    summary,
    defined({
      parentSpanId: span.parentSpanId || undefined,
      userId: str(a[ATTR.userId]),
      convoId: str(a[ATTR.convoId]),
      model: str(a[ATTR.model]),
      provider: str(a[ATTR.provider]),
      input: str(a[ATTR.input]),
      output: str(a[ATTR.output]),
      statusMessage: summary.status === 'error' ? span.status.message : undefined,
    }),
  );
}

const byStart = (a: StoredSpan, b: StoredSpan) => compareNanos(a.startTimeUnixNano, b.startTimeUnixNano);

function compareNanos(a: string, b: string): number {
  const x = BigInt(a || '0');
  const y = BigInt(b || '0');
  return x < y ? -1 : x > y ? 1 : 0;
}

export function distinct(values: (string | undefined)[]): string[] {
  return [...new Set(values.filter((v): v is string => v !== undefined && v !== ''))];
}

const hasParentIn = (s: StoredSpan, ids: Set<string>) =>
  !!s.parentSpanId && ids.has(s.parentSpanId) && s.parentSpanId !== s.spanId;

function step(s: SpanSummary, offsetMillis: number): StepSummary {
  const { spanId, name, category, durationMillis, status, model } = s;
  const { inputTokens, outputTokens, cacheReadTokens, reasoningTokens, costUsd } = s;
  const detail = status === 'error' ? s.statusMessage : category === 'tool' ? s.input : undefined;
  return {
    spanId,
    name,
    category,
    offsetMillis,
    durationMillis,
    status,
    ...defined({ model, inputTokens, outputTokens, cacheReadTokens, reasoningTokens, costUsd }),
    ...defined({ detail: preview(detail, 80) }),
  };
}

/** Roots of a trace (spans whose parent is not in it) with their children, each level by start time. */
export function buildTree(spans: StoredSpan[], prices: PriceTable = DEFAULT_PRICES): SpanNode[] {
  const ids = new Set(spans.map((s) => s.spanId));
  const childrenOf = new Map<string, StoredSpan[]>();
  const roots: StoredSpan[] = [];
  for (const s of spans) {
    if (hasParentIn(s, ids)) {
      const list = childrenOf.get(s.parentSpanId!) ?? [];
      list.push(s);
      childrenOf.set(s.parentSpanId!, list);
    } else roots.push(s);
  }
  // `seen` guards against a malformed trace whose parent links form a cycle.
  const seen = new Set<string>();
  const build = (s: StoredSpan): SpanNode => {
    seen.add(s.spanId);
    const kids = (childrenOf.get(s.spanId) ?? []).filter((c) => !seen.has(c.spanId)).sort(byStart);
    const node: SpanNode = { ...s, ...spanUsage(s, prices), category: categorize(s, kids.length > 0), children: [] };
    if (s.parentSpanId && !ids.has(s.parentSpanId)) node.missingParent = true;
    node.children = kids.map(build);
    return node;
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

export function summarizeTrace(spans: StoredSpan[], prices: PriceTable = DEFAULT_PRICES): TraceSummary {
  const sorted = [...spans].sort(byStart);
  const first = sorted[0]!;
  const root = rootOf(spans);
  const ids = new Set(spans.map((s) => s.spanId));
  const parents = new Set(spans.map((s) => s.parentSpanId));
  const start = BigInt(first.startTimeUnixNano || '0');
  const end = spans.reduce(
    (m, s) => (BigInt(s.endTimeUnixNano || '0') > m ? BigInt(s.endTimeUnixNano || '0') : m),
    start,
  );
  const usage = emptyUsage();
  let toolCalls = 0;
  for (const s of spans) {
    const category = categorize(s, parents.has(s.spanId));
    if (category === 'llm') addCall(usage, s, spanUsage(s, prices));
    if (category === 'tool') toolCalls++;
  }
  const extentMillis = Number(end - start) / 1e6;
  const steps = sorted
    .filter((s) => s !== root)
    .slice(0, 40)
    .map((s) =>
      step(summarize(s, parents.has(s.spanId), prices), Number(BigInt(s.startTimeUnixNano || '0') - start) / 1e6),
    );
  const summary: TraceSummary = {
    traceId: first.traceId,
    name: root?.name ?? first.name,
    kind: root ? categorize(root, parents.has(root.spanId)) : 'trajectory',
    spanCount: spans.length,
    startTime: isoOfNanos(first.startTimeUnixNano),
    startTimeUnixNano: first.startTimeUnixNano,
    durationMillis: root?.durationMillis ?? extentMillis,
    extentMillis,
    userIds: distinct(spans.map((s) => fieldOf(s, 'userId'))),
    convoIds: distinct(spans.map((s) => fieldOf(s, 'convoId'))),
    models: distinct(spans.map((s) => fieldOf(s, 'model'))),
    providers: distinct(spans.map((s) => fieldOf(s, 'provider'))),
    serviceNames: distinct(spans.map((s) => str(s.resource?.[RESOURCE.serviceName]))),
    errors: spans.filter(isError).length,
    toolCalls,
    missingParents: spans.filter((s) => s.parentSpanId && !ids.has(s.parentSpanId)).length,
    usage,
    steps,
    // biome-ignore lint/complexity/useMathMinMax: ISO timestamps compare as strings
    lastReceivedAt: spans.reduce((m, s) => (s.receivedAt > m ? s.receivedAt : m), ''),
  };
  if (root) summary.root = summarize(root, parents.has(root.spanId), prices);
  return summary;
}

/**
 * Newest first: by start time, then by arrival. Turns recorded back to back can start in the same
 * millisecond (the SDK's clock resolution) and arrive in one batch, so the last tie-break is the
 * order the store first saw each trace (`groups` order), later = newer. `filter.kind` keeps the
 * traces whose root is of that kind.
 */
export function traceSummaries(
  groups: StoredSpan[][],
  filter: SpanFilter = {},
  prices: PriceTable = DEFAULT_PRICES,
): TraceSummary[] {
  const now = Date.now();
  return groups
    .map((g, order) => ({ g, order }))
    .filter(({ g }) => g.length > 0 && traceMatches(g, filter, now))
    .map(({ g, order }) => ({ t: summarizeTrace(g, prices), order }))
    .filter(({ t }) => !filter.kind || t.kind === filter.kind)
    .sort(
      (a, b) =>
        compareNanos(b.t.startTimeUnixNano, a.t.startTimeUnixNano) ||
        b.t.lastReceivedAt.localeCompare(a.t.lastReceivedAt) ||
        b.order - a.order,
    )
    .map(({ t }) => t);
}

/** Every LLM call of these traces (nested or standalone) that `keep` accepts, newest first. */
export function llmCalls(
  groups: StoredSpan[][],
  prices: PriceTable,
  keep: (span: StoredSpan) => boolean,
): LlmCallSummary[] {
  const out: LlmCallSummary[] = [];
  for (const spans of groups) {
    const parents = new Set(spans.map((s) => s.parentSpanId));
    const root = rootOf(spans);
    for (const s of spans) {
      if (categorize(s, parents.has(s.spanId)) !== 'llm' || !keep(s)) continue;
      const own = summarize(s, parents.has(s.spanId), prices);
      const usage = emptyUsage();
      addCall(usage, s, own);
      const call: LlmCallSummary = { ...own, usage, errors: own.status === 'error' ? 1 : 0 };
      if (s.parentSpanId) call.trajectory = root ? { spanId: root.spanId, name: root.name } : { spanId: '', name: '?' };
      const question = lastUserText(call.input);
      if (question !== undefined) call.question = question;
      out.push(call);
    }
  }
  return out.sort((a, b) => b.startTime.localeCompare(a.startTime));
}
