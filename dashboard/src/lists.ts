/** The list views: trajectories, LLM calls, sessions (conversations), one session's turns, users. */
import { html } from 'htm/preact';
import { FILTER_KEYS, filterQuery } from '../../src/dev/shared.js';
import {
  useFetch,
  type LlmCallSummary,
  type SessionSummary,
  type StepSummary,
  type Totals,
  type TraceSummary,
  type UserSummary,
} from './api.js';
import {
  answered,
  Badge,
  Cost,
  Empty,
  Head,
  InnerLink,
  plural,
  said,
  Status,
  Tokens,
  TotalsBar,
  TraceTable,
  UsageTokens,
} from './common.js';
import { formatCost, formatDuration, preview, time } from './format.js';
import { href, type Route } from './router.js';

interface ViewProps {
  route: Route;
  version: number;
  fresh: Set<string>;
}

const filtered = (route: Route) => FILTER_KEYS.some((k) => route.params.get(k));
const Loading = () => html`<div class="empty muted">Loading…</div>`;

/** Trajectories (`begin()` roots); standalone LLM calls and tools are counted and linked, not mixed in. */
export function TracesView({ route, version, fresh }: ViewProps) {
  const kind = route.params.get('kind') ?? 'trajectory';
  const { data } = useFetch<{ traces: TraceSummary[]; totals: Totals }>(
    `/api/traces${filterQuery(route.params, { kind })}`,
    version,
  );
  const all = useFetch<{ traces: TraceSummary[] }>(`/api/traces${filterQuery(route.params, { kind: '' })}`, version);
  if (!data) return Loading();
  const others = { llm: 0, tool: 0, event: 0, trajectory: 0 };
  for (const t of all.data?.traces ?? []) if (t.kind !== kind) others[t.kind]++;
  const kindLink = (k: string, text: string) => html`<a href=${href('traces', undefined, { kind: k })}>${text}</a>. `;
  const note = html`<p class="muted small" data-testid="standalone-note">
    ${kind !== 'trajectory' && html`Showing standalone <strong>${kind}</strong> spans. ${kindLink('trajectory', 'Back')}`}
    ${
      others.llm > 0 &&
      html`${others.llm} standalone LLM call${others.llm > 1 ? 's are' : ' is'} under <a href=${href('llm')}>LLM calls</a>. `
    }
    ${others.tool > 0 && kind !== 'tool' && kindLink('tool', plural(others.tool, 'standalone tool span'))}
    ${others.event > 0 && kind !== 'event' && kindLink('event', plural(others.event, 'other span'))}
  </p>`;
  if (data.traces.length === 0)
    return html`<${Empty} filtered=${filtered(route) || (all.data?.traces.length ?? 0) > 0} />${note}`;
  return html`<${TotalsBar} totals=${data.totals} noun=${kind === 'trajectory' ? ['trajectory', 'trajectories'] : 'trace'} />
    <${TraceTable} traces=${data.traces} fresh=${fresh} />${note}`;
}

const COST_COLS = ['Tokens in → out', 'Cost'];

/** Every LLM call, inside a trajectory or standalone, with what it was asked and what it cost. */
export function LlmCallsView({ route, version, fresh }: ViewProps) {
  const { data } = useFetch<{ calls: LlmCallSummary[]; totals: Totals }>(
    `/api/llm-calls${filterQuery(route.params)}`,
    version,
  );
  if (!data) return Loading();
  if (data.calls.length === 0) return html`<${Empty} filtered=${filtered(route)} />`;
  return html`<${TotalsBar} totals=${data.totals} noun="LLM call" />
    <table class="table" data-testid="llm-table">
    <${Head} cols=${['Started', 'Call', 'Model', 'Trajectory', 'User', ...COST_COLS, 'Duration', 'Status']} />
    <tbody>${data.calls.map((c) => {
      const open = href('trace', c.traceId, { span: c.spanId });
      return html`<tr key=${c.spanId} class=${`clickable${fresh.has(c.traceId) ? ' fresh' : ''}`}
        data-testid="llm-row" data-span-id=${c.spanId} onClick=${() => (location.hash = open)}>
      <td class="muted nowrap">${time(c.startTime)}</td>
      <td><a class="name" href=${open}>${c.name}</a>
        ${c.question && html`<div class="preview">${preview(c.question, 90)}</div>`}</td>
      <td class="nowrap">${c.model ?? '?'}${c.provider && html` <span class="muted">(${c.provider})</span>`}</td>
      <td class="nowrap">
        ${
          c.trajectory
            ? html`<${InnerLink} to=${href('trace', c.traceId)} text=${c.trajectory.name} />`
            : html`<span class="muted">standalone</span>`
        }
      </td>
      <td>${c.userId}</td>
      <td class="num nowrap"><${Tokens} ...${c} /></td>
      <td class="num nowrap"><${Cost} usage=${c.usage} /></td>
      <td class="num nowrap">${formatDuration(c.durationMillis)}</td>
      <td><${Status} errors=${c.errors} /></td>
    </tr>`;
    })}</tbody>
  </table>`;
}

export function SessionsView({ route, version }: ViewProps) {
  const { data } = useFetch<{ sessions: SessionSummary[]; totals: Totals }>(
    `/api/sessions${filterQuery(route.params)}`,
    version,
  );
  if (!data) return Loading();
  if (data.sessions.length === 0) return html`<${Empty} filtered=${filtered(route)} />`;
  const cols = [
    'Conversation',
    'Users',
    'Turns',
    'LLM calls',
    'Models',
    ...COST_COLS,
    'Time in turns',
    'Status',
    'Last active',
  ];
  return html`<${TotalsBar} totals=${data.totals} noun="conversation" />
    <table class="table" data-testid="session-table">
    <${Head} cols=${cols} />
    <tbody>${data.sessions.map(
      (s) => html`<tr key=${s.convoId} class="clickable" data-testid="session-row" data-convo-id=${s.convoId}
        onClick=${() => (location.hash = href('session', s.convoId))}>
      <td><a class="mono name" href=${href('session', s.convoId)}>${s.convoId}</a></td>
      <td>${s.userIds.join(', ')}</td>
      <td class="num">${s.traceIds.length}</td>
      <td class="num">${s.usage.llmCalls}</td>
      <td>${s.models.join(', ')}</td>
      <td class="num nowrap"><${UsageTokens} usage=${s.usage} /></td>
      <td class="num nowrap"><${Cost} usage=${s.usage} /></td>
      <td class="num nowrap">${formatDuration(s.durationMillis)}</td>
      <td><${Status} errors=${s.errors} /></td>
      <td class="muted nowrap">${time(s.lastStartTime)}</td>
    </tr>`,
    )}</tbody>
  </table>`;
}

/** One step of a turn: when it started, what it was, how long it took, what it cost. */
function Step({ s, traceId }: { s: StepSummary; traceId: string }) {
  const error = s.status === 'error';
  return html`<li class=${error ? 'error' : ''} data-testid="turn-step" data-step-name=${s.name}>
    <span class="step-at muted">+${formatDuration(s.offsetMillis)}</span>
    <${Badge} kind=${s.category} /> <a href=${href('trace', traceId, { span: s.spanId })}>${s.name}</a>
    ${s.model && html`<span class="muted">${s.model}</span>`}
    <span class="step-dur">${formatDuration(s.durationMillis)}</span>
    ${s.detail && html`<span class=${error ? 'status-error small' : 'muted small mono'}>${s.detail}</span>`}
    ${
      (s.inputTokens !== undefined || s.outputTokens !== undefined) &&
      html`<span class="muted"><${Tokens} ...${s} /> tokens${s.costUsd !== undefined ? ` · ${formatCost(s.costUsd)}` : ''}</span>`
    }
    ${error && html`<span class="status status-error">error</span>`}
  </li>`;
}

/** A conversation read top to bottom: each turn's question, every step it took, and its answer. */
export function SessionView({ route, version, fresh }: ViewProps) {
  const convoId = route.id!;
  const { data } = useFetch<{ traces: TraceSummary[]; totals: Totals }>(
    `/api/traces${filterQuery(new URLSearchParams(), { convoId })}`,
    version,
  );
  if (!data) return Loading();
  const turns = [...data.traces].reverse();
  return html`<div data-testid="session-view" data-convo-id=${convoId}>
    <div class="crumbs"><a href=${href('sessions')}>Sessions</a> › <span class="mono">${convoId}</span></div>
    <h2>Conversation <span class="mono">${convoId}</span></h2>
    <p class="muted">users ${[...new Set(data.traces.flatMap((t) => t.userIds))].join(', ') || '—'}</p>
    <${TotalsBar} totals=${data.totals} noun="turn" />
    <ol class="turns">${turns.map((t, i) => {
      const usage =
        t.usage.llmCalls > 0
          ? html` · <${UsageTokens} usage=${t.usage} /> tokens · <${Cost} usage=${t.usage} />`
          : ' · no LLM calls';
      return html`<li key=${t.traceId} class=${`turn${fresh.has(t.traceId) ? ' fresh' : ''}`}
        data-testid="session-turn" data-trace-id=${t.traceId}>
      <div class="turn-head">
        <a class="name" href=${href('trace', t.traceId)}>Turn ${i + 1} · ${t.name}</a>
        <span class="muted">${time(t.startTime)} · ${formatDuration(t.durationMillis)}${usage}</span>
        <${Status} errors=${t.errors} />
      </div>
      ${said(t) && html`<div class="bubble user"><span class="role">user</span>${preview(said(t), 400)}</div>`}
      ${
        t.steps.length > 0 &&
        html`<ol class="steps" data-testid="turn-steps">${t.steps.map((s) => html`<${Step} s=${s} traceId=${t.traceId} />`)}</ol>`
      }
      ${answered(t) && html`<div class="bubble assistant"><span class="role">assistant</span>${preview(answered(t), 600)}</div>`}
    </li>`;
    })}</ol>
  </div>`;
}

export function UsersView({ route, version }: ViewProps) {
  const { data } = useFetch<{ users: UserSummary[]; totals: Totals }>(
    `/api/users${filterQuery(route.params)}`,
    version,
  );
  if (!data) return Loading();
  if (data.users.length === 0) return html`<${Empty} filtered=${filtered(route)} />`;
  return html`<${TotalsBar} totals=${data.totals} noun="user" />
    <table class="table" data-testid="user-table">
    <${Head} cols=${['User', 'Conversations', 'Turns', 'LLM calls', ...COST_COLS, 'Status', 'Last active']} />
    <tbody>${data.users.map((u) => {
      const open = href('traces', undefined, { userId: u.userId });
      return html`<tr key=${u.userId} class="clickable" data-testid="user-row" data-user-id=${u.userId}
        onClick=${() => (location.hash = open)}>
      <td><a class="name" href=${open}>${u.userId}</a></td>
      <td class="num">${u.convoIds.length}</td>
      <td class="num">${u.traceCount}</td>
      <td class="num">${u.usage.llmCalls}</td>
      <td class="num nowrap"><${UsageTokens} usage=${u.usage} /></td>
      <td class="num nowrap"><${Cost} usage=${u.usage} /></td>
      <td><${Status} errors=${u.errors} /></td>
      <td class="muted nowrap">${time(u.lastStartTime)}</td>
    </tr>`;
    })}</tbody>
  </table>`;
}
