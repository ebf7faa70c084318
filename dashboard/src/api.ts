/** Fetching from the dev server's JSON API, with a hook that refetches when new spans arrive. */
import { useEffect, useState } from 'preact/hooks';
import type { SpanNode, TraceSummary } from '../../src/dev/views.js';

export type { StoredSpan } from '../../src/dev/store.js';
export type { SpanUsage, Usage } from '../../src/dev/usage.js';
export type { SessionSummary, Totals, UserSummary } from '../../src/dev/rollups.js';
export type {
  LlmCallSummary,
  SpanCategory,
  SpanNode,
  SpanSummary,
  StepSummary,
  TraceSummary,
} from '../../src/dev/views.js';

export interface TraceDetail {
  trace: TraceSummary;
  roots: SpanNode[];
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
