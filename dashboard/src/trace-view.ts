/** One trajectory: its span tree as a waterfall, and every attribute of the selected span. */
import { html } from 'htm/preact';
import { useFetch, type SpanNode, type TraceDetail } from './api.js';
import { Badge } from './common.js';
import { duration, nanosToMillis, prettyIfJson, preview, time } from './format.js';
import { href, type Route } from './router.js';

interface Row {
  node: SpanNode;
  depth: number;
}

function flatten(nodes: SpanNode[], depth = 0, out: Row[] = []): Row[] {
  for (const node of nodes) {
    out.push({ node, depth });
    flatten(node.children, depth + 1, out);
  }
  return out;
}

export function TraceView({ route, version }: { route: Route; version: number }) {
  const traceId = route.id!;
  const { data, error } = useFetch<TraceDetail>(`/api/traces/${encodeURIComponent(traceId)}`, version);
  if (error && !data) return html`<div class="empty">Trace ${traceId}: ${error}</div>`;
  if (!data) return html`<div class="empty muted">Loading…</div>`;
  const { trace } = data;
  const rows = flatten(data.roots);
  const selectedId = route.params.get('span') ?? rows[0]?.node.spanId;
  const selected = rows.find((r) => r.node.spanId === selectedId)?.node ?? rows[0]?.node;
  const t0 = Math.min(...rows.map((r) => nanosToMillis(r.node.startTimeUnixNano)));
  const t1 = Math.max(...rows.map((r) => nanosToMillis(r.node.endTimeUnixNano)));
  const total = Math.max(t1 - t0, 0.001);

  return html`<div class="trace-view" data-testid="trace-view" data-trace-id=${trace.traceId}>
    <div class="crumbs"><a href=${href('traces')}>Trajectories</a>${' › '}
      ${trace.convoIds.map((c) => html`<a href=${href('session', c)}>${c}</a>${' › '}`)}
      <span>${trace.name}</span></div>
    <div class="trace-head">
      <h2>${trace.name}</h2>
      <dl class="facts">
        <div><dt>Started</dt><dd>${time(trace.startTime)}</dd></div>
        <div><dt>Duration</dt><dd>${duration(trace.durationMillis)}</dd></div>
        <div><dt>Spans</dt><dd>${trace.spanCount}</dd></div>
        ${trace.userIds.length > 0 && html`<div><dt>User</dt><dd>${trace.userIds.map((u) => html`<a href=${href('traces', undefined, { userId: u })}>${u}</a> `)}</dd></div>`}
        ${trace.models.length > 0 && html`<div><dt>Model</dt><dd>${trace.models.join(', ')} ${trace.providers.length ? `(${trace.providers.join(', ')})` : ''}</dd></div>`}
        <div><dt>Trace</dt><dd class="mono">${trace.traceId}</dd></div>
      </dl>
    </div>
    ${
      (trace.root?.input || trace.root?.output) &&
      html`<div class="io" data-testid="trace-io">
      ${trace.root?.input && html`<div><span class="io-label">Input</span><div class="bubble user">${preview(trace.root.input, 500)}</div></div>`}
      ${trace.root?.output && html`<div><span class="io-label">Output</span><div class="bubble assistant">${preview(trace.root.output, 700)}</div></div>`}
    </div>`
    }
    <div class="split">
      <div class="tree" data-testid="span-tree">
        ${rows.map(({ node, depth }) => {
          const start = nanosToMillis(node.startTimeUnixNano) - t0;
          const left = (start / total) * 100;
          const width = Math.max((node.durationMillis / total) * 100, 0.5);
          return html`<a
              class=${`span-row${node.spanId === selected?.spanId ? ' selected' : ''}${node.status?.code === 2 ? ' error' : ''}`}
              data-testid="span-row"
              data-span-name=${node.name}
              href=${href('trace', trace.traceId, { span: node.spanId })}>
            <span class="span-label" style=${`padding-left:${depth * 18}px`}>
              <${Badge} kind=${node.category} /> <span class="name">${node.name}</span>
              ${typeof node.attributes['gen_ai.request.model'] === 'string' && html` <span class="muted">${node.attributes['gen_ai.request.model']}</span>`}
            </span>
            <span class="bar-track"><span class=${`bar bar-${node.category}`} style=${`left:${Math.min(left, 99.5)}%;width:${Math.min(width, 100 - Math.min(left, 99.5))}%`}></span></span>
            <span class="span-dur">${duration(node.durationMillis)}</span>
          </a>`;
        })}
      </div>
      ${selected && html`<${SpanDetail} span=${selected} />`}
    </div>
  </div>`;
}

function Value({ value, type }: { value: unknown; type?: string }) {
  if (typeof value === 'string') {
    const pretty = prettyIfJson(value);
    if (pretty) return html`<pre>${pretty}</pre>`;
    return value.length > 120 || value.includes('\n') ? html`<pre>${value}</pre>` : html`<span>${value}</span>`;
  }
  if (Array.isArray(value) || (value && typeof value === 'object'))
    return html`<pre>${JSON.stringify(value, null, 2)}</pre>`;
  return html`<span class=${`v-${type ?? typeof value}`}>${String(value)}</span>`;
}

function AttributeTable({
  attrs,
  types,
  testid,
}: {
  attrs: Record<string, unknown>;
  types?: Record<string, { type: string }>;
  testid: string;
}) {
  const keys = Object.keys(attrs).sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  if (keys.length === 0) return html`<p class="muted">none</p>`;
  return html`<table class="attrs" data-testid=${testid}>
    <tbody>${keys.map(
      (k) => html`<tr data-testid="attr-row" data-key=${k}>
      <th>${k}${types?.[k] && html`<small>${types[k]!.type}</small>`}</th>
      <td><${Value} value=${attrs[k]} type=${types?.[k]?.type} /></td>
    </tr>`,
    )}</tbody>
  </table>`;
}

// The fields a BentoLabs user passes come first; infrastructure attributes (faas.*, cloud.*) after.
const FIRST = [
  'gen_ai.user.id',
  'gen_ai.conversation.id',
  'gen_ai.request.model',
  'gen_ai.system',
  'openinference.span.kind',
  'input.value',
  'output.value',
];
const rank = (k: string) => {
  const i = FIRST.indexOf(k);
  return i === -1 ? (/^(faas|cloud|bentolabs)\./.test(k) ? 200 : 100) : i;
};

function SpanDetail({ span }: { span: SpanNode }) {
  return html`<div class="detail" data-testid="span-detail" data-span-name=${span.name}>
    <h3><${Badge} kind=${span.category} /> ${span.name}</h3>
    <dl class="facts">
      <div><dt>Duration</dt><dd>${duration(span.durationMillis)}</dd></div>
      <div><dt>Status</dt><dd>${span.status?.code === 2 ? html`<span class="status status-error">error${span.status.message ? `: ${span.status.message}` : ''}</span>` : 'ok'}</dd></div>
      <div><dt>Span</dt><dd class="mono">${span.spanId}</dd></div>
      ${span.parentSpanId && html`<div><dt>Parent</dt><dd class="mono">${span.parentSpanId}</dd></div>`}
    </dl>
    <h4>Attributes</h4>
    <${AttributeTable} attrs=${span.attributes} types=${span.typedAttributes} testid="span-attributes" />
    ${span.events?.length > 0 && html`<h4>Events</h4>${span.events.map((e) => html`<div class="event"><strong>${e.name}</strong><${AttributeTable} attrs=${e.attributes} testid="event-attributes" /></div>`)}`}
    <h4>Resource</h4>
    <${AttributeTable} attrs=${span.resource ?? {}} testid="resource-attributes" />
    <p class="muted small">Scope ${span.scope?.name} ${span.scope?.version ?? ''} · received ${time(span.receivedAt)}</p>
  </div>`;
}
