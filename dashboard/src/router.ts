/** Hash routes, so the dev server serves one page and links survive a reload. */
import { useEffect, useState } from 'preact/hooks';

export type View = 'traces' | 'trace' | 'llm' | 'sessions' | 'session' | 'users';

export interface Route {
  view: View;
  /** Trace id or conversation id. */
  id?: string;
  params: URLSearchParams;
}

const VIEWS: View[] = ['traces', 'trace', 'llm', 'sessions', 'session', 'users'];

export function parseHash(hash: string): Route {
  const raw = hash.replace(/^#\/?/, '');
  const q = raw.indexOf('?');
  const path = q === -1 ? raw : raw.slice(0, q);
  const params = new URLSearchParams(q === -1 ? '' : raw.slice(q + 1));
  const [first, ...rest] = path.split('/').filter(Boolean);
  const view = VIEWS.includes(first as View) ? (first as View) : 'traces';
  const id = rest.length ? decodeURIComponent(rest.join('/')) : undefined;
  if ((view === 'trace' || view === 'session') && !id)
    return { view: view === 'trace' ? 'traces' : 'sessions', params };
  return { view, ...(id !== undefined && { id }), params };
}

/** `#/view/id?k=v`, skipping empty params. */
export function href(view: View, id?: string, params?: URLSearchParams | Record<string, string | undefined>): string {
  const entries = params instanceof URLSearchParams ? [...params.entries()] : Object.entries(params ?? {});
  const q = new URLSearchParams();
  for (const [k, v] of entries) if (v) q.set(k, v);
  const qs = q.toString();
  return `#/${view}${id !== undefined ? `/${encodeURIComponent(id)}` : ''}${qs ? `?${qs}` : ''}`;
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseHash(location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseHash(location.hash));
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return route;
}
