/** Small pieces shared by the views: kind badges, the filter bar, the trajectory table. */
import { html } from 'htm/preact';
import { FILTER_KEYS, useFetch, type Facets, type FilterKey, type TraceSummary } from './api.js';
import { duration, preview, time } from './format.js';
import { href, type Route } from './router.js';

export function Badge({ kind }: { kind: string }) {
  return html`<span class=${`badge badge-${kind}`}>${kind}</span>`;
}

export function Status({ errors }: { errors: number }) {
  return errors > 0
    ? html`<span class="status status-error">${errors} error${errors > 1 ? 's' : ''}</span>`
    : html`<span class="status status-ok">ok</span>`;
}

const LABELS: Record<FilterKey, string> = {
  userId: 'User',
  convoId: 'Conversation',
  model: 'Model',
  provider: 'Provider',
};
const OPTIONS: Record<FilterKey, keyof Facets> = {
  userId: 'userIds',
  convoId: 'convoIds',
  model: 'models',
  provider: 'providers',
};

/** One menu per filter; the choice lives in the URL hash, so it survives reloads and links. */
export function Filters({ route, version }: { route: Route; version: number }) {
  const facets = useFetch<Facets>('/api/facets', version).data;
  const set = (key: FilterKey, value: string) => {
    const params = new URLSearchParams(route.params);
    if (value) params.set(key, value);
    else params.delete(key);
    location.hash = href(route.view === 'trace' || route.view === 'session' ? 'traces' : route.view, undefined, params);
  };
  const active = FILTER_KEYS.some((k) => route.params.get(k));
  return html`<div class="filters" data-testid="filters">
    ${FILTER_KEYS.map((key) => {
      const current = route.params.get(key) ?? '';
      const values = facets?.[OPTIONS[key]] ?? [];
      return html`<label class="filter">
        <span>${LABELS[key]}</span>
        <select data-testid=${`filter-${key}`} value=${current} onChange=${(e: Event) => set(key, (e.target as HTMLSelectElement).value)}>
          <option value="">All</option>
          ${[...new Set([...values, ...(current ? [current] : [])])].map((v) => html`<option value=${v}>${v}</option>`)}
        </select>
      </label>`;
    })}
    ${active && html`<a class="clear" href=${href(route.view === 'trace' || route.view === 'session' ? 'traces' : route.view)}>Clear filters</a>`}
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

export function TraceTable({
  traces,
  fresh,
  showConvo = true,
}: {
  traces: TraceSummary[];
  fresh: Set<string>;
  showConvo?: boolean;
}) {
  return html`<table class="table" data-testid="trace-table">
    <thead><tr>
      <th>Started</th><th>Trajectory</th><th>Kind</th><th>User</th>${showConvo && html`<th>Conversation</th>`}<th>Model</th><th class="num">Spans</th><th class="num">Duration</th><th>Status</th>
    </tr></thead>
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
          ${!t.root && html` <span class="muted" title="Only child spans have arrived so far">(root pending)</span>`}
          ${t.root?.input && html`<div class="preview">${preview(t.root.input)}</div>`}
        </td>
        <td>${t.root ? html`<${Badge} kind=${t.root.category} />` : ''}</td>
        <td>${t.userIds.join(', ')}</td>
        ${showConvo && html`<td>${t.convoIds.map((c) => html`<a class="mono" href=${href('session', c)} onClick=${(e: Event) => e.stopPropagation()}>${c}</a> `)}</td>`}
        <td>${t.models.join(', ')}${t.providers.length ? html` <span class="muted">(${t.providers.join(', ')})</span>` : ''}</td>
        <td class="num">${t.spanCount}</td>
        <td class="num nowrap">${duration(t.durationMillis)}</td>
        <td><${Status} errors=${t.errors} /></td>
      </tr>`,
      )}
    </tbody>
  </table>`;
}
