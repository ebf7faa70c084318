/** Small pieces shared by the views: kind badges, the filter bar, totals, the trajectory table. */
import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { RESOURCE } from '../../src/core/keys.js';
import { lastUserText, parseReply } from '../../src/dev/chat.js';
import {
  FACET_KEYS,
  FACET_LABELS,
  FACET_LISTS,
  TIME_RANGES,
  type Facets,
  type FilterKey,
} from '../../src/dev/shared.js';
import { useFetch, type SpanCategory, type SpanUsage, type Totals, type TraceSummary, type Usage } from './api.js';
import { formatCost, formatDuration, formatTokens, preview, time } from './format.js';
import { href, type Route, type View } from './router.js';

const KIND_LABEL: Record<SpanCategory, string> = { trajectory: 'trajectory', llm: 'LLM', tool: 'tool', event: 'event' };

export function Badge({ kind }: { kind: SpanCategory }) {
  return html`<span class=${`badge badge-${kind}`} data-testid="kind-badge">${KIND_LABEL[kind] ?? kind}</span>`;
}

export function Status({ errors }: { errors: number }) {
  return errors > 0
    ? html`<span class="status status-error">${errors} error${errors > 1 ? 's' : ''}</span>`
    : html`<span class="status status-ok">ok</span>`;
}

/** The list view a filter change stays on (detail views go back to their list). */
export const listOf = (view: View): View => (view === 'trace' ? 'traces' : view === 'session' ? 'sessions' : view);

/** Facet menus, search, errors only and time range; every choice lives in the URL hash. */
export function Filters({ route, version }: { route: Route; version: number }) {
  const facets = useFetch<Facets>('/api/facets', version).data;
  const set = (key: FilterKey, value: string) => {
    const params = new URLSearchParams(route.params);
    if (value) params.set(key, value);
    else params.delete(key);
    location.hash = href(listOf(route.view), undefined, params);
  };
  const [q, setQ] = useState(route.params.get('q') ?? '');
  const timer = useRef<number>();
  const fromUrl = route.params.get('q') ?? '';
  // The box follows the URL when it changes from outside (back button, "Clear filters").
  useEffect(() => setQ(fromUrl), [fromUrl]);
  const onSearch = (value: string) => {
    setQ(value);
    clearTimeout(timer.current);
    timer.current = window.setTimeout(() => set('q', value.trim()), 250);
  };
  const active = [...FACET_KEYS, 'q', 'errors', 'since'].some((k) => route.params.get(k));
  return html`<div class="filters" data-testid="filters">
    <label class="filter search">
      <span>Search</span>
      <input type="search" data-testid="filter-q" placeholder="name, input, output, attribute, id…" value=${q}
        onInput=${(e: Event) => onSearch((e.target as HTMLInputElement).value)} />
    </label>
    ${FACET_KEYS.map((key) => {
      const current = route.params.get(key) ?? '';
      const values = facets?.[FACET_LISTS[key]] ?? [];
      return html`<label class="filter">
        <span>${FACET_LABELS[key]}</span>
        <select data-testid=${`filter-${key}`} value=${current} onChange=${(e: Event) => set(key, (e.target as HTMLSelectElement).value)}>
          <option value="">All</option>
          ${[...new Set([...values, ...(current ? [current] : [])])].map((v) => html`<option value=${v}>${v}</option>`)}
        </select>
      </label>`;
    })}
    <label class="filter">
      <span>Time</span>
      <select data-testid="filter-since" value=${route.params.get('since') ?? ''}
        onChange=${(e: Event) => set('since', (e.target as HTMLSelectElement).value)}>
        <option value="">All time</option>
        ${TIME_RANGES.map(([value, label]) => html`<option value=${value}>${label}</option>`)}
      </select>
    </label>
    <label class="filter check">
      <input type="checkbox" data-testid="filter-errors" checked=${route.params.get('errors') === '1'}
        onChange=${(e: Event) => set('errors', (e.target as HTMLInputElement).checked ? '1' : '')} />
      <span>Errors only</span>
    </label>
    ${active && html`<a class="clear" href=${href(listOf(route.view))}>Clear filters</a>`}
  </div>`;
}

export function Empty({ filtered }: { filtered: boolean }) {
  if (filtered) return html`<div class="empty">Nothing matches these filters.</div>`;
  return html`<div class="empty">
    <p><strong>No spans yet.</strong> Point the SDK at this endpoint:</p>
    <pre>BENTOLABS_BASE_URL=${location.origin}\nBENTOLABS_API_KEY=bl_pk_dev_local</pre>
    <p>New trajectories appear here as they arrive; no reload needed.</p>
  </div>`;
}

/** One `<dt>`/`<dd>` pair of a facts list. */
export function Fact({
  label,
  testid,
  mono,
  children,
}: {
  label: string;
  testid?: string;
  mono?: boolean;
  children?: unknown;
}) {
  return html`<div data-testid=${testid}><dt>${label}</dt><dd class=${mono ? 'mono' : ''}>${children}</dd></div>`;
}

/** `3 tools`, `1 tool`, `2 trajectories`. */
export const plural = (n: number, word: string, many = `${word}s`) => `${n} ${n === 1 ? word : many}`;

/** A table head; `num` columns are right-aligned like their cells. */
export function Head({ cols }: { cols: string[] }) {
  const NUM = ['Tokens in → out', 'Cost', 'Duration', 'Turns', 'LLM calls', 'Conversations', 'Time in turns'];
  return html`<thead><tr>${cols.map((c) => html`<th class=${NUM.includes(c) ? 'num' : ''}>${c}</th>`)}</tr></thead>`;
}

/** `1,234 → 567`, with the cached and reasoning parts in the tooltip. */
export function Tokens(u: SpanUsage) {
  if (u.inputTokens === undefined && u.outputTokens === undefined) return html`<span class="muted">–</span>`;
  const title = [
    `${u.inputTokens ?? 0} input tokens${u.cacheReadTokens ? ` (${u.cacheReadTokens} from cache)` : ''}`,
    `${u.outputTokens ?? 0} output tokens${u.reasoningTokens ? ` (${u.reasoningTokens} reasoning)` : ''}`,
  ].join('\n');
  return html`<span class="tokens" title=${title}>
    ${formatTokens(u.inputTokens)}<span class="muted"> → </span>${formatTokens(u.outputTokens)}
  </span>`;
}

export function UsageTokens({ usage }: { usage: Usage }) {
  if (usage.llmCalls === 0) return html`<span class="muted">–</span>`;
  return html`<${Tokens} ...${usage} />`;
}

/** A cost, marked `+` when some calls had no price (their cost is missing from the sum). */
export function Cost({ usage }: { usage: Usage }) {
  if (usage.llmCalls === 0) return html`<span class="muted">–</span>`;
  const unpriced = usage.unpricedModels.join(', ');
  if (unpriced && usage.costUsd === 0)
    return html`<span class="muted" title=${`No price for ${unpriced} (see --prices)`}>–</span>`;
  const title = unpriced ? `No price for ${unpriced}: not included (see --prices)` : 'Estimated from the price table';
  return html`<span class=${unpriced ? 'cost partial' : 'cost'} title=${title}>
    ${formatCost(usage.costUsd)}${unpriced ? '+' : ''}
  </span>`;
}

/** The totals line above a list: what the filtered rows add up to. */
/** `noun`: what one row is (`trajectory`), or its singular and plural. */
export function TotalsBar({ totals, noun }: { totals: Totals; noun: string | [string, string] }) {
  const [one, many] = typeof noun === 'string' ? [noun, `${noun}s`] : noun;
  const u = totals.usage;
  const cached = u.cacheReadTokens ? ` (${formatTokens(u.cacheReadTokens)} cached)` : '';
  const reasoning = u.reasoningTokens ? ` (${formatTokens(u.reasoningTokens)} reasoning)` : '';
  return html`<div class="totals" data-testid="totals">
    <span><strong>${totals.count}</strong> ${totals.count === 1 ? one : many}</span>
    ${one !== 'LLM call' && html`<span>${plural(u.llmCalls, 'LLM call')}</span>`}
    <span data-testid="totals-tokens">
      <strong>${formatTokens(u.inputTokens)}</strong> input${cached}${' · '}
      <strong>${formatTokens(u.outputTokens)}</strong> output tokens${reasoning}
    </span>
    <span data-testid="totals-cost">cost <strong><${Cost} usage=${u} /></strong></span>
    ${totals.errors > 0 && html`<span class="status-error">${plural(totals.errors, 'failed span')}</span>`}
    ${
      u.unpricedModels.length > 0 &&
      html`<span class="muted small">no price for ${u.unpricedModels.join(', ')} (add it with <code>--prices</code>)</span>`
    }
  </div>`;
}

/** `service.name`, hiding OpenTelemetry's `unknown_service:node` placeholder behind a hint. */
export function Service({ names }: { names: string[] }) {
  if (names.length === 0) return null;
  return html`${names.map((n) =>
    n.startsWith(RESOURCE.unknownServicePrefix)
      ? html`<span class="muted" title="Set serviceName in init() or OTEL_SERVICE_NAME">unnamed service</span>`
      : html`<span class="service">${n}</span>`,
  )}`;
}

/** A link inside a clickable row: follows itself instead of the row. */
export function InnerLink({ to, text, mono }: { to: string; text: string; mono?: boolean }) {
  return html`<a class=${mono ? 'mono' : ''} href=${to} onClick=${(e: Event) => e.stopPropagation()}>${text}</a>`;
}

const TRACE_COLS = ['Started', 'Trajectory', 'User', 'Conversation', 'Steps', 'Tokens in → out', 'Cost', 'Duration'];

export function TraceTable({ traces, fresh }: { traces: TraceSummary[]; fresh: Set<string> }) {
  return html`<table class="table" data-testid="trace-table">
    <${Head} cols=${[...TRACE_COLS, 'Status']} />
    <tbody>
      ${traces.map(
        (t) => html`<tr
          key=${t.traceId}
          class=${`clickable${fresh.has(t.traceId) ? ' fresh' : ''}`}
          data-testid="trace-row"
          data-trace-id=${t.traceId}
          onClick=${() => (location.hash = href('trace', t.traceId))}>
        <td class="muted nowrap">${time(t.startTime)}</td>
        <td>
          <a class="name" href=${href('trace', t.traceId)}>${t.name}</a>
          ${!t.root && html` <span class="warn-text" title="Only child spans have arrived so far">(root span missing)</span>`}
          <span class="muted small"> · <${Service} names=${t.serviceNames} /></span>
          ${t.root?.input && html`<div class="preview">${preview(t.root.input, 90)}</div>`}
        </td>
        <td>${t.userIds.join(', ')}</td>
        <td>${t.convoIds.map((c) => html`<${InnerLink} to=${href('session', c)} text=${c} mono /> `)}</td>
        <td class="nowrap small">
          ${t.usage.llmCalls} LLM · ${plural(t.toolCalls, 'tool')}
          ${t.models.length > 0 && html`<div class="muted">${t.models.join(', ')}</div>`}
        </td>
        <td class="num nowrap"><${UsageTokens} usage=${t.usage} /></td>
        <td class="num nowrap"><${Cost} usage=${t.usage} /></td>
        <td class="num nowrap">${formatDuration(t.durationMillis)}</td>
        <td><${Status} errors=${t.errors} /></td>
      </tr>`,
      )}
    </tbody>
  </table>`;
}

/** What the user asked in a turn: the root's input, or the last user message of an LLM prompt. */
export const said = (t: TraceSummary): string | undefined => lastUserText(t.root?.input) ?? t.root?.input;

/** What the turn answered: the text of the reply, or the raw output. */
export function answered(t: TraceSummary): string | undefined {
  const reply = parseReply(t.root?.output);
  const text = reply?.parts.flatMap((p) => (p.type === 'text' ? [p.text] : [])).join('\n');
  return text || t.root?.output;
}
