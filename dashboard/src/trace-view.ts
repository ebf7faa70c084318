/** One trace: header with totals, a waterfall with a time axis and collapsible rows, and the selected span. */
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { useFetch, type SpanNode, type TraceDetail, type TraceSummary } from './api.js';
import { Badge, Cost, Service, Tokens, UsageTokens, said, answered } from './common.js';
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

/** Axis ticks at 1, 2 or 5 × 10^n milliseconds, about five across. */
function ticks(total: number): number[] {
  const raw = total / 5;
  const pow = 10 ** Math.floor(Math.log10(raw || 1));
  const step = [1, 2, 5, 10].map((m) => m * pow).find((s) => s >= raw) ?? pow * 10;
  const out: number[] = [];
  for (let t = 0; t <= total + 1e-9; t += step) out.push(t);
  return out;
}

/** Why the header's duration (the root's) may differ from the extent of all spans. */
function durationNote(trace: TraceSummary): string | undefined {
  if (!trace.root)
    return `root span not received: ${formatDuration(trace.extentMillis)} from the first to the last span that arrived`;
  const gap = trace.extentMillis - trace.durationMillis;
  if (gap <= Math.max(0.5, trace.durationMillis * 0.01)) return undefined;
  return `the root span's duration; all spans together cover ${formatDuration(trace.extentMillis)} (some started before or ended after the root)`;
}

export function TraceView({ route, version }: { route: Route; version: number }) {
  const traceId = route.id!;
  const { data, error } = useFetch<TraceDetail>(`/api/traces/${encodeURIComponent(traceId)}`, version);
  const [collapsed, setCollapsed] = useState<Set<string>>(new Set());
  if (error && !data) return html`<div class="empty">Trace ${traceId}: ${error}</div>`;
  if (!data) return html`<div class="empty muted">Loading…</div>`;
  const { trace } = data;
  const all = flatten(data.roots, new Set());
  const rows = flatten(data.roots, collapsed);
  const selectedId = route.params.get('span') ?? all[0]?.node.spanId;
  const selected = all.find((r) => r.node.spanId === selectedId)?.node ?? all[0]?.node;
  const t0 = Math.min(...all.map((r) => nanosToMillis(r.node.startTimeUnixNano)));
  const t1 = Math.max(...all.map((r) => nanosToMillis(r.node.endTimeUnixNano)));
  const total = Math.max(t1 - t0, 0.001);
  const axis = ticks(total);
  const toggle = (id: string, e: Event) => {
    // The button sits inside the row's link: toggling must not also select the span.
    e.preventDefault();
    e.stopPropagation();
    const next = new Set(collapsed);
    if (!next.delete(id)) next.add(id);
    setCollapsed(next);
  };
  const parents = all.filter((r) => r.node.children.length > 0).map((r) => r.node.spanId);
  const note = durationNote(trace);
  const question = said(trace);
  const answer = answered(trace);

  return html`<div class="trace-view" data-testid="trace-view" data-trace-id=${trace.traceId}>
    <div class="crumbs"><a href=${href(trace.kind === 'llm' ? 'llm' : 'traces')}>${trace.kind === 'llm' ? 'LLM calls' : 'Trajectories'}</a>${' › '}
      ${trace.convoIds.map((c) => html`<a href=${href('session', c)}>${c}</a>${' › '}`)}
      <span>${trace.name}</span></div>
    <div class="trace-head">
      <h2><${Badge} kind=${trace.kind} /> ${trace.name}</h2>
      <dl class="facts" data-testid="trace-facts">
        <div><dt>Started</dt><dd>${time(trace.startTime)}</dd></div>
        <div data-testid="trace-duration"><dt>Duration</dt><dd>${formatDuration(trace.durationMillis)}${note && html` <span class="note" title=${note}>*</span>`}</dd></div>
        <div><dt>Steps</dt><dd>${trace.usage.llmCalls} LLM · ${trace.toolCalls} tool${trace.toolCalls === 1 ? '' : 's'} · ${trace.spanCount} span${trace.spanCount === 1 ? '' : 's'}</dd></div>
        <div data-testid="trace-tokens"><dt>Tokens in → out</dt><dd><${UsageTokens} usage=${trace.usage} /></dd></div>
        <div data-testid="trace-cost"><dt>Cost</dt><dd><${Cost} usage=${trace.usage} /></dd></div>
        ${trace.userIds.length > 0 && html`<div><dt>User</dt><dd>${trace.userIds.map((u) => html`<a href=${href('traces', undefined, { userId: u })}>${u}</a> `)}</dd></div>`}
        ${trace.models.length > 0 && html`<div><dt>Model</dt><dd>${trace.models.join(', ')} ${trace.providers.length ? `(${trace.providers.join(', ')})` : ''}</dd></div>`}
        <div data-testid="trace-service"><dt>Service</dt><dd><${Service} names=${trace.serviceNames} /></dd></div>
        <div><dt>Status</dt><dd>${trace.errors > 0 ? html`<span class="status status-error">${trace.errors} failed span(s)</span>` : html`<span class="status status-ok">ok</span>`}</dd></div>
        <div><dt>Trace</dt><dd class="mono">${trace.traceId}</dd></div>
      </dl>
      ${note && html`<p class="muted small" data-testid="duration-note">* Duration: ${note}.</p>`}
    </div>
    ${trace.missingParents > 0 && html`<div class="banner warn" data-testid="missing-parent">⚠ ${trace.missingParents} span${trace.missingParents > 1 ? 's name a parent' : ' names a parent'} that was not received, shown as a root below (marked “parent missing”). The parent may still arrive, or was lost: check <code>status()</code> in the app that recorded it.</div>`}
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
          <button type="button" data-testid="collapse-all" onClick=${() => setCollapsed(new Set(parents))}>Collapse all</button>
          <button type="button" data-testid="expand-all" onClick=${() => setCollapsed(new Set())}>Expand all</button>
        </div>
        <div class="span-row axis-row" data-testid="time-axis">
          <span class="span-label muted small">span</span>
          <span class="span-off muted small">start</span>
          <span class="bar-track axis">${axis.map((t) => html`<span class="tick" style=${`left:${(t / total) * 100}%`}>${formatDuration(t)}</span>`)}</span>
          <span class="span-dur muted small">duration</span>
        </div>
        ${rows.map(({ node, depth }) => {
          const start = nanosToMillis(node.startTimeUnixNano) - t0;
          const left = Math.min((start / total) * 100, 99.5);
          const width = Math.min(Math.max((node.durationMillis / total) * 100, 0.5), 100 - left);
          const model = node.attributes['gen_ai.request.model'];
          const hasKids = node.children.length > 0;
          return html`<a
              class=${`span-row${node.spanId === selected?.spanId ? ' selected' : ''}${node.status?.code === 2 ? ' error' : ''}`}
              data-testid="span-row"
              data-span-name=${node.name}
              data-kind=${node.category}
              href=${href('trace', trace.traceId, { span: node.spanId })}>
            <span class="span-label" style=${`padding-left:${depth * 16}px`}>
              ${
                hasKids
                  ? html`<button type="button" class="toggle" data-testid="toggle" title=${collapsed.has(node.spanId) ? 'Expand' : 'Collapse'}
                    onClick=${(e: Event) => toggle(node.spanId, e)}>${collapsed.has(node.spanId) ? '▸' : '▾'}</button>`
                  : html`<span class="toggle-space"></span>`
              }
              ${node.missingParent && html`<span class="warn-text" data-testid="parent-missing" title=${`Parent ${node.parentSpanId} not received`}>⚠ parent missing </span>`}
              <${Badge} kind=${node.category} /> <span class="name">${node.name}</span>
              ${typeof model === 'string' && html` <span class="muted">${model}</span>`}
              ${(node.inputTokens !== undefined || node.outputTokens !== undefined) && html` <span class="row-tokens"><${Tokens} input=${node.inputTokens} output=${node.outputTokens} cached=${node.cacheReadTokens} reasoning=${node.reasoningTokens} /></span>`}
              ${collapsed.has(node.spanId) && html` <span class="muted small">(${node.children.length} hidden)</span>`}
            </span>
            <span class="span-off">+${formatDuration(start)}</span>
            <span class="bar-track">
              ${axis.map((t) => html`<span class="grid" style=${`left:${(t / total) * 100}%`}></span>`)}
              <span class=${`bar bar-${node.category}`} style=${`left:${left}%;width:${width}%`}></span>
            </span>
            <span class="span-dur">${formatDuration(node.durationMillis)}</span>
          </a>`;
        })}
      </div>
      ${selected && html`<${SpanDetail} span=${selected} offsetMillis=${nanosToMillis(selected.startTimeUnixNano) - t0} />`}
    </div>
  </div>`;
}
