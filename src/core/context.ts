/**
 * The SDK's own async context. Parent/child links between Bento spans, per-invocation state of
 * the adapters and propagated identity all live in one `AsyncLocalStorage` that belongs to the
 * SDK, so the host's OpenTelemetry context (an Express or Lambda span) never becomes our parent
 * and we never register a global context manager.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Attributes, Span } from '@opentelemetry/api';
import { shared } from './global.js';

/** Who a span is about; each field is optional. */
export interface Identity {
  userId?: string;
  sessionId?: string;
  tags?: string[];
}

/** An open trajectory or tool span. */
export interface OpenSpan {
  readonly span: Span;
  readonly kind: 'trajectory' | 'tool';
  readonly parent: OpenSpan | undefined;
  /** Identity children inherit: the trajectory's own fields plus `updateCurrentTrace` patches. */
  identity: Identity;
  ended: boolean;
  /** Trajectories opened directly inside this one and not finished yet (the LIFO rule). */
  readonly openChildren: Set<OpenSpan>;
  readonly invocation: Invocation | undefined;
}

/** One adapter invocation (a Lambda event, an HTTP request). */
export interface Invocation {
  /** Written on every span recorded during the invocation (`faas.invocation_id`, ...). */
  readonly attributes: Attributes;
  /** Spans still open, so a timeout guard can end them before the runtime kills the process. */
  readonly openSpans: Set<OpenSpan>;
  /** Set once the invocation ended; a context entered with `enterWith` (Middy) can outlive it. */
  closed?: boolean;
}

/** The invocation of this context, unless it already ended. */
export function liveInvocation(store: Store | undefined): Invocation | undefined {
  const invocation = store?.invocation;
  return invocation && invocation.closed !== true ? invocation : undefined;
}

export interface Store {
  readonly span?: OpenSpan | undefined;
  readonly invocation?: Invocation | undefined;
  readonly identity?: Identity | undefined;
}

// In the global slot, so that the ESM and CommonJS copies of the SDK, if an app loads both, still
// agree on one context (the "dual package hazard").
export const storage: AsyncLocalStorage<Store> = shared('context', () => new AsyncLocalStorage<Store>());

export function currentStore(): Store | undefined {
  return storage.getStore();
}

/** Innermost open Bento span of this context; ended ones (left behind by `enterWith`) are skipped. */
export function innermostOpen(store = storage.getStore()): OpenSpan | undefined {
  let s = store?.span;
  while (s?.ended) s = s.parent;
  return s;
}

/** The nearest open trajectory at or above `s`, skipping tool spans and ended spans. */
export function nearestTrajectory(s: OpenSpan | undefined): OpenSpan | undefined {
  while (s && (s.ended || s.kind !== 'trajectory')) s = s.parent;
  return s;
}

/** Innermost open trajectory of this context. */
export function innermostTrajectory(store = storage.getStore()): OpenSpan | undefined {
  return nearestTrajectory(store?.span);
}

export function runWith<T>(patch: Store, fn: () => T): T {
  return storage.run({ ...storage.getStore(), ...patch }, fn);
}
