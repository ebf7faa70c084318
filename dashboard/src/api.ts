/** Fetching from the dev server's JSON API, with a hook that refetches when new spans arrive. */
import { useEffect, useState } from 'preact/hooks';
import type { SessionSummary, SpanNode, SpanSummary, TraceSummary, UserSummary } from '../../src/dev/views.js';
import type { StoredSpan } from '../../src/dev/store.js';

export type { SessionSummary, SpanNode, SpanSummary, StoredSpan, TraceSummary, UserSummary };

export interface Facets {
  userIds: string[];
  convoIds: string[];
  models: string[];
  providers: string[];
}

export interface TraceDetail {
  trace: TraceSummary;
  roots: SpanNode[];
}

export const FILTER_KEYS = ['userId', 'convoId', 'model', 'provider'] as const;
export type FilterKey = (typeof FILTER_KEYS)[number];

/** `?userId=..&model=..` from the filters that are set. */
export function filterQuery(params: URLSearchParams, extra: Record<string, string> = {}): string {
  const q = new URLSearchParams();
  for (const k of FILTER_KEYS) {
    const v = params.get(k);
    if (v) q.set(k, v);
  }
  for (const [k, v] of Object.entries(extra)) q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : '';
}

export interface Loaded<T> {
  data?: T;
  error?: string;
  loading: boolean;
}

/**
 * GETs `url` and again whenever `version` changes (a new span batch). The previous data stays
 * on screen while reloading, so live updates do not flicker.
 */
export function useFetch<T>(url: string | undefined, version: number): Loaded<T> {
  const [state, setState] = useState<Loaded<T>>({ loading: true });
  // biome-ignore lint/correctness/useExhaustiveDependencies: `version` changing is what triggers the re-fetch
  useEffect(() => {
    if (!url) return;
    let cancelled = false;
    setState((s) => ({ ...s, loading: true }));
    fetch(url)
      .then(async (res) => {
        const body = (await res.json()) as T & { message?: string };
        if (!res.ok) throw new Error(body.message ?? `HTTP ${res.status}`);
        if (!cancelled) setState({ data: body, loading: false });
      })
      .catch((error: unknown) => {
        if (!cancelled) setState((s) => ({ ...s, error: String((error as Error).message ?? error), loading: false }));
      });
    return () => {
      cancelled = true;
    };
  }, [url, version]);
  return state;
}
