/** One trace: header with totals, a waterfall with a time axis and collapsible rows, and the selected span. */
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { useFetch, type SpanNode, type TraceDetail, type TraceSummary } from './api.js';
import { answered, Badge, Cost, Fact, plural, said, Service, Tokens, UsageTokens } from './common.js';
import { durationNote } from '../../src/dev/shared.js';
import { formatDuration, nanosToMillis, preview, time } from './format.js';
import { href, type Route } from './router.js';
import { SpanDetail } from './span-detail.js';

interface Row {
  node: SpanNode;
  depth: number;
}

/** Depth-first rows, skipping the descendants of collapsed spans. */
function flatten(nodes: SpanNode[], collapsed: Set<string>, depth = 0, out: Row[] = []): Row[] {
  for (const node of nodes) {
    out.push({ node, depth });
    if (!collapsed.has(node.spanId)) flatten(node.children, collapsed, depth + 1, out);
  }
  return out;
}

/** The visible stretch of the time axis, in milliseconds from the trace's first span. */
interface Window {
  from: number;
  length: number;
}

/** Axis ticks at 1, 2 or 5 × 10^n milliseconds, about five across the window. */
function ticks({ from, length }: Window): number[] {
  const raw = length / 5;
  const pow = 10 ** Math.floor(Math.log10(raw || 1));
  const step = [1, 2, 5, 10].map((m) => m * pow).find((s) => s >= raw) ?? pow * 10;
  const out: number[] = [];
  for (let t = Math.ceil(from / step - 1e-9) * step; t <= from + length + 1e-9; t += step) out.push(t);
  return out;
}

/** Percent of the window's width at `millis` (may fall outside 0–100 when zoomed). */
const at = (w: Window, millis: number) => ((millis - w.from) / w.length) * 100;

function TraceHeader({ trace }: { trace: TraceSummary }) {
  const note = durationNote(trace.root ? trace.durationMillis : undefined, trace.extentMillis);
  const status =
    trace.errors > 0
      ? html`<span class="status status-error">${plural(trace.errors, 'failed span')}</span>`
      : html`<span class="status status-ok">ok</span>`;
  const providers = trace.providers.length ? ` (${trace.providers.join(', ')})` : '';
  const users = trace.userIds.map((u) => html`<a href=${href('traces', undefined, { userId: u })}>${u}</a> `);
  return html`<div class="trace-head">
    <h2>
      <${Badge} kind=${trace.kind} /> ${trace.name}
      ${!trace.root && html` <span class="warn-text">(root span missing)</span>`}
    </h2>
    <dl class="facts" data-testid="trace-facts">
      <${Fact} label="Started">${time(trace.startTime)}<//>
      <${Fact} label="Duration" testid="trace-duration">
        ${formatDuration(trace.durationMillis)}${note && html` <span class="note" title=${note}>*</span>`}
      <//>
      <${Fact} label="Steps">
        ${trace.usage.llmCalls} LLM · ${plural(trace.toolCalls, 'tool')} · ${plural(trace.spanCount, 'span')}
      <//>
      <${Fact} label="Tokens in → out" testid="trace-tokens"><${UsageTokens} usage=${trace.usage} /><//>
      <${Fact} label="Cost" testid="trace-cost"><${Cost} usage=${trace.usage} /><//>
      ${users.length > 0 && html`<${Fact} label="User">${users}<//>`}
      ${trace.models.length > 0 && html`<${Fact} label="Model">${trace.models.join(', ')}${providers}<//>`}
      <${Fact} label="Service" testid="trace-service"><${Service} names=${trace.serviceNames} /><//>
      <${Fact} label="Status">${status}<//>
      <${Fact} label="Trace" mono>${trace.traceId}<//>
    </dl>
    ${note && html`<p class="muted small" data-testid="duration-note">* Duration: ${note}.</p>`}
  </div>`;
}

function MissingParents({ count }: { count: number }) {
  if (count === 0) return null;
  return html`<div class="banner warn" data-testid="missing-parent">
    ⚠ ${count} span${count > 1 ? 's name a parent' : ' names a parent'} that was not received, shown as a root below
    (marked “parent missing”). The parent may still arrive, or was lost: check <code>status()</code> in the app that
    recorded it.
  </div>`;
}

/** One waterfall row: tree label with collapse toggle, start offset, bar on the time axis, duration. */
function SpanRow(p: {
  row: Row;
  traceId: string;
  t0: number;
  window: Window;
  axis: number[];
  selected: boolean;
  collapsed: boolean;
  toggle: (id: string, e: Event) => void;
}) {
  const { node, depth } = p.row;
  const start = nanosToMillis(node.startTimeUnixNano) - p.t0;
  // Clipped to the window: a bar that starts before a zoomed window begins at its left edge.
  const left = Math.min(Math.max(at(p.window, start), 0), 99.5);
  const right = Math.min(Math.max(at(p.window, start + node.durationMillis), left + 0.5), 100);
  const width = right - left;
  const model = node.attributes['gen_ai.request.model'];
  const hasTokens = node.inputTokens !== undefined || node.outputTokens !== undefined;
  const toggle = node.children.length
    ? html`<button type="button" class="toggle" data-testid="toggle" title=${p.collapsed ? 'Expand' : 'Collapse'}
        onClick=${(e: Event) => p.toggle(node.spanId, e)}>${p.collapsed ? '▸' : '▾'}</button>`
    : html`<span class="toggle-space"></span>`;
  const missing =
    node.missingParent &&
    html`<span class="warn-text" data-testid="parent-missing" title=${`Parent ${node.parentSpanId} not received`}>
      ⚠ parent missing
    </span> `;
  return html`<a
      class=${`span-row${p.selected ? ' selected' : ''}${node.status?.code === 2 ? ' error' : ''}`}
      data-testid="span-row"
      data-span-name=${node.name}
      data-kind=${node.category}
      href=${href('trace', p.traceId, { span: node.spanId })}>
    <span class="span-label" style=${`padding-left:${depth * 16}px`}>
      ${toggle}${missing}<${Badge} kind=${node.category} /> <span class="name">${node.name}</span>
      ${typeof model === 'string' && html` <span class="muted">${model}</span>`}
      ${hasTokens && html` <span class="row-tokens"><${Tokens} ...${node} /></span>`}
      ${p.collapsed && html` <span class="muted small">(${node.children.length} hidden)</span>`}
    </span>
    <span class="span-off">+${formatDuration(start)}</span>
    <span class="bar-track">
      ${p.axis.map((t) => html`<span class="grid" style=${`left:${at(p.window, t)}%`}></span>`)}
      <span class=${`bar bar-${node.category}`} style=${`left:${left}%;width:${width}%`}></span>
    </span>
    <span class="span-dur">${formatDuration(node.durationMillis)}</span>
  </a>`;
}

export function TraceView({ route, version }: { route: Route; version: number }) {
  const traceId = route.id!;
  const { data, error } = useFetch<TraceDetail>(`/api/traces/${encodeURIComponent(traceId)}`, version);
  const [collapsed, setCollapsed] = useState<Set<string>>(new Set());
  const [zoom, setZoom] = useState<Window | undefined>(undefined);
  if (error && !data) return html`<div class="empty">Trace ${traceId}: ${error}</div>`;
  if (!data) return html`<div class="empty muted">Loading…</div>`;
  const { trace } = data;
  const all = flatten(data.roots, new Set());
  const rows = flatten(data.roots, collapsed);
  const selectedId = route.params.get('span') ?? all[0]?.node.spanId;
  const selected = all.find((r) => r.node.spanId === selectedId)?.node ?? all[0]?.node;
  const t0 = Math.min(...all.map((r) => nanosToMillis(r.node.startTimeUnixNano)));
  const t1 = Math.max(...all.map((r) => nanosToMillis(r.node.endTimeUnixNano)));
  const whole = { from: 0, length: Math.max(t1 - t0, 0.001) };
  const window = zoom ?? whole;
  const axis = ticks(window);
  const zoomTo = (node: SpanNode) =>
    setZoom({ from: nanosToMillis(node.startTimeUnixNano) - t0, length: Math.max(node.durationMillis, 0.001) });
  const toggle = (id: string, e: Event) => {
    // The button sits inside the row's link: toggling must not also select the span.
    e.preventDefault();
    e.stopPropagation();
    const next = new Set(collapsed);
    if (!next.delete(id)) next.add(id);
    setCollapsed(next);
  };
  const parents = all.filter((r) => r.node.children.length > 0).map((r) => r.node.spanId);
  const question = said(trace);
  const answer = answered(trace);
  const list =
    trace.kind === 'llm'
      ? html`<a href=${href('llm')}>LLM calls</a>`
      : html`<a href=${href('traces')}>Trajectories</a>`;

  return html`<div class="trace-view" data-testid="trace-view" data-trace-id=${trace.traceId}>
    <div class="crumbs">${list}${' › '}
      ${trace.convoIds.map((c) => html`<a href=${href('session', c)}>${c}</a>${' › '}`)}
      <span>${trace.name}</span></div>
    <${TraceHeader} trace=${trace} />
    <${MissingParents} count=${trace.missingParents} />
    ${
      (question || answer) &&
      html`<div class="io" data-testid="trace-io">
      ${question && html`<div><span class="io-label">Asked</span><div class="bubble user">${preview(question, 500)}</div></div>`}
      ${answer && html`<div><span class="io-label">Answered</span><div class="bubble assistant">${preview(answer, 700)}</div></div>`}
    </div>`
    }
    <div class="split">
      <div class="tree" data-testid="span-tree">
        <div class="tree-tools">
          ${
            zoom
              ? html`<span class="muted small">zoomed to ${formatDuration(zoom.from)}–${formatDuration(zoom.from + zoom.length)}</span>
                <button type="button" data-testid="zoom-reset" onClick=${() => setZoom(undefined)}>Whole trace</button>`
              : selected &&
                html`<button type="button" data-testid="zoom-selected" onClick=${() => zoomTo(selected)}>Zoom to selected</button>`
          }
          <button type="button" data-testid="collapse-all" onClick=${() => setCollapsed(new Set(parents))}>Collapse all</button>
          <button type="button" data-testid="expand-all" onClick=${() => setCollapsed(new Set())}>Expand all</button>
        </div>
        <div class="span-row axis-row" data-testid="time-axis">
          <span class="span-label muted small">span</span>
          <span class="span-off muted small">start</span>
          <span class="bar-track axis">
            ${axis.map((t) => html`<span class="tick" style=${`left:${at(window, t)}%`}>${formatDuration(t)}</span>`)}
          </span>
          <span class="span-dur muted small">duration</span>
        </div>
        ${rows.map(
          (row) => html`<${SpanRow}
            row=${row} traceId=${trace.traceId} t0=${t0} window=${window} axis=${axis}
            selected=${row.node.spanId === selected?.spanId} collapsed=${collapsed.has(row.node.spanId)} toggle=${toggle} />`,
        )}
      </div>
      ${selected && html`<${SpanDetail} span=${selected} offsetMillis=${nanosToMillis(selected.startTimeUnixNano) - t0} />`}
    </div>
  </div>`;
}
