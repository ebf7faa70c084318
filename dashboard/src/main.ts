/**
 * The `bentolabs dev` dashboard: trajectories, sessions and users from the local endpoint, kept
 * live by the server's event stream (`/api/events`), so new spans appear without a reload.
 */
import { html, render } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { FILTER_KEYS } from '../../src/dev/shared.js';
import { Filters, listOf } from './common.js';
import { LlmCallsView, SessionsView, SessionView, TracesView, UsersView } from './lists.js';
import { href, useRoute, type View } from './router.js';
import { TraceView } from './trace-view.js';

interface Live {
  /** Bumped (debounced) on every batch; views refetch when it changes. */
  version: number;
  /** Traces touched by the latest batches, highlighted for a moment. */
  fresh: Set<string>;
  connected: boolean;
  total: number;
}

function useLive(): Live {
  const [live, setLive] = useState<Live>({ version: 0, fresh: new Set(), connected: false, total: 0 });
  const pending = useRef<{ timer?: number; traceIds: Set<string> }>({ traceIds: new Set() });
  useEffect(() => {
    const source = new EventSource('/api/events');
    source.onopen = () => setLive((l) => ({ ...l, connected: true }));
    source.onerror = () => setLive((l) => ({ ...l, connected: false }));
    source.onmessage = (event: MessageEvent<string>) => {
      const message = JSON.parse(event.data) as { type: string; total: number; traceIds?: string[] };
      if (message.type === 'hello') {
        // A reconnect may have missed batches: refetch once.
        setLive((l) => ({ ...l, connected: true, total: message.total, version: l.version + 1 }));
        return;
      }
      for (const id of message.traceIds ?? []) pending.current.traceIds.add(id);
      // A burst of batches (one per export request) becomes one refetch.
      clearTimeout(pending.current.timer);
      pending.current.timer = window.setTimeout(() => {
        const fresh = new Set(pending.current.traceIds);
        pending.current.traceIds.clear();
        setLive((l) => ({ version: l.version + 1, fresh, connected: true, total: message.total }));
      }, 100);
    };
    return () => source.close();
  }, []);
  return live;
}

const TABS: Array<{ view: View; label: string }> = [
  { view: 'traces', label: 'Trajectories' },
  { view: 'llm', label: 'LLM calls' },
  { view: 'sessions', label: 'Sessions' },
  { view: 'users', label: 'Users' },
];

function App() {
  const route = useRoute();
  const live = useLive();
  const tab = listOf(route.view);
  const props = { route, version: live.version, fresh: live.fresh };
  return html`<header class="top">
      <a class="brand" href="#/traces">
        <span class="logo" aria-hidden="true"><i></i><i></i><i></i><i></i></span>BentoLabs <span class="muted">local</span>
      </a>
      <nav>${TABS.map((t) => {
        const params = t.view === route.view ? route.params : filtersOnly(route.params);
        return html`<a class=${t.view === tab ? 'active' : ''} data-testid=${`tab-${t.view}`} href=${href(t.view, undefined, params)}>
          ${t.label}
        </a>`;
      })}</nav>
      <span class=${`live ${live.connected ? 'on' : 'off'}`} data-testid="live-status" title="Server-Sent Events from /api/events">
        ${live.connected ? 'live' : 'reconnecting…'} · ${live.total} spans
      </span>
    </header>
    <main>
      ${route.view !== 'trace' && route.view !== 'session' && html`<${Filters} route=${route} version=${live.version} />`}
      ${route.view === 'traces' && html`<${TracesView} ...${props} />`}
      ${route.view === 'llm' && html`<${LlmCallsView} ...${props} />`}
      ${route.view === 'trace' && html`<${TraceView} route=${route} version=${live.version} />`}
      ${route.view === 'sessions' && html`<${SessionsView} ...${props} />`}
      ${route.view === 'session' && html`<${SessionView} ...${props} />`}
      ${route.view === 'users' && html`<${UsersView} ...${props} />`}
    </main>`;
}

/** The filters of a view's params, carried to another tab (not its span selection or kind). */
function filtersOnly(params: URLSearchParams): URLSearchParams {
  const out = new URLSearchParams();
  for (const k of FILTER_KEYS.filter((f) => f !== 'kind' && f !== 'traceId')) {
    const v = params.get(k);
    if (v) out.set(k, v);
  }
  return out;
}

render(html`<${App} />`, document.getElementById('app')!);
