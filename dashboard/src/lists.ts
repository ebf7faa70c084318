/** The list views: trajectories, sessions (conversations), one session's turns, users. */
import { html } from 'htm/preact';
import {
  FILTER_KEYS,
  filterQuery,
  useFetch,
  type SessionSummary,
  type StoredSpan,
  type TraceSummary,
  type UserSummary,
} from './api.js';
import { Badge, Empty, Status, TraceTable } from './common.js';
import { duration, preview, time } from './format.js';
import { href, type Route } from './router.js';

interface ViewProps {
  route: Route;
  version: number;
  fresh: Set<string>;
}

const filtered = (route: Route) => FILTER_KEYS.some((k) => route.params.get(k));

export function TracesView({ route, version, fresh }: ViewProps) {
  const { data } = useFetch<{ traces: TraceSummary[] }>(`/api/traces${filterQuery(route.params)}`, version);
  if (!data) return html`<div class="empty muted">Loading…</div>`;
  if (data.traces.length === 0) return html`<${Empty} filtered=${filtered(route)} />`;
  return html`<${TraceTable} traces=${data.traces} fresh=${fresh} />`;
}

export function SessionsView({ route, version }: ViewProps) {
  const { data } = useFetch<{ sessions: SessionSummary[] }>(`/api/sessions${filterQuery(route.params)}`, version);
  if (!data) return html`<div class="empty muted">Loading…</div>`;
  if (data.sessions.length === 0) return html`<${Empty} filtered=${filtered(route)} />`;
  return html`<table class="table" data-testid="session-table">
    <thead><tr><th>Conversation</th><th>Users</th><th class="num">Turns</th><th class="num">Spans</th><th>Models</th><th>Last active</th></tr></thead>
    <tbody>${data.sessions.map(
      (
        s,
      ) => html`<tr key=${s.convoId} class="clickable" data-testid="session-row" data-convo-id=${s.convoId} onClick=${() => (location.hash = href('session', s.convoId))}>
      <td><a class="mono name" href=${href('session', s.convoId)}>${s.convoId}</a></td>
      <td>${s.userIds.join(', ')}</td>
      <td class="num">${s.traceIds.length}</td>
      <td class="num">${s.spanCount}</td>
      <td>${s.models.join(', ')}</td>
      <td class="muted nowrap">${time(s.lastStartTime)}</td>
    </tr>`,
    )}</tbody>
  </table>`;
}

/** A conversation read top to bottom: each turn's input, the tools it used, and its output. */
export function SessionView({ route, version, fresh }: ViewProps) {
  const convoId = route.id!;
  const traces = useFetch<{ traces: TraceSummary[] }>(
    `/api/traces${filterQuery(new URLSearchParams(), { convoId })}`,
    version,
  ).data?.traces;
  const spans =
    useFetch<{ spans: StoredSpan[] }>(`/api/spans${filterQuery(new URLSearchParams(), { convoId })}`, version).data
      ?.spans ?? [];
  if (!traces) return html`<div class="empty muted">Loading…</div>`;
  const tools = (traceId: string) =>
    spans.filter((s) => s.traceId === traceId && s.attributes['openinference.span.kind'] === 'tool').map((s) => s.name);
  const turns = [...traces].reverse();
  return html`<div data-testid="session-view" data-convo-id=${convoId}>
    <div class="crumbs"><a href=${href('sessions')}>Sessions</a> › <span class="mono">${convoId}</span></div>
    <h2>Conversation <span class="mono">${convoId}</span></h2>
    <p class="muted">${turns.length} turn(s) · users ${[...new Set(traces.flatMap((t) => t.userIds))].join(', ') || '—'}</p>
    <ol class="turns">${turns.map(
      (
        t,
        i,
      ) => html`<li key=${t.traceId} class=${`turn${fresh.has(t.traceId) ? ' fresh' : ''}`} data-testid="session-turn" data-trace-id=${t.traceId}>
      <div class="turn-head">
        <a class="name" href=${href('trace', t.traceId)}>Turn ${i + 1} · ${t.name}</a>
        <span class="muted">${time(t.startTime)} · ${duration(t.durationMillis)} · ${t.spanCount} spans</span>
        <${Status} errors=${t.errors} />
      </div>
      ${t.root?.input && html`<div class="bubble user">${preview(t.root.input, 400)}</div>`}
      ${tools(t.traceId).length > 0 && html`<div class="tools">${tools(t.traceId).map((name) => html`<${Badge} kind="tool" /> <span class="mono">${name}</span> `)}</div>`}
      ${t.root?.output && html`<div class="bubble assistant">${preview(t.root.output, 600)}</div>`}
    </li>`,
    )}</ol>
  </div>`;
}

export function UsersView({ route, version }: ViewProps) {
  const { data } = useFetch<{ users: UserSummary[] }>(`/api/users${filterQuery(route.params)}`, version);
  if (!data) return html`<div class="empty muted">Loading…</div>`;
  if (data.users.length === 0) return html`<${Empty} filtered=${filtered(route)} />`;
  return html`<table class="table" data-testid="user-table">
    <thead><tr><th>User</th><th class="num">Conversations</th><th class="num">Trajectories</th><th class="num">Spans</th><th>Last active</th></tr></thead>
    <tbody>${data.users.map(
      (
        u,
      ) => html`<tr key=${u.userId} class="clickable" data-testid="user-row" data-user-id=${u.userId} onClick=${() => (location.hash = href('traces', undefined, { userId: u.userId }))}>
      <td><a class="name" href=${href('traces', undefined, { userId: u.userId })}>${u.userId}</a></td>
      <td class="num">${u.convoIds.length}</td>
      <td class="num">${u.traceCount}</td>
      <td class="num">${u.spanCount}</td>
      <td class="muted nowrap">${time(u.lastStartTime)}</td>
    </tr>`,
    )}</tbody>
  </table>`;
}
