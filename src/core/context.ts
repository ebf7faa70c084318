/**
 * The SDK's own async context. Parent/child links between Bento spans, per-invocation state of
 * the adapters and propagated identity all live in one `AsyncLocalStorage` that belongs to the
 * SDK, so the host's OpenTelemetry context (an Express or Lambda span) never becomes our parent
 * and we never register a global context manager.
 */
// A namespace import: a bundler that stubs `node:async_hooks` (an edge build without the Node.js
// APIs) yields an empty module here instead of failing, and `init()` says what to change.
import * as asyncHooks from 'node:async_hooks';
import type { AsyncLocalStorage } from 'node:async_hooks';
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
  /** Span name, for warnings about spans ended on the user's behalf. */
  readonly name: string;
  /**
   * `stream`: an integration's LLM or chain span, which ends when the stream the caller reads ends
   * (SPEC §10), not when the trajectory around it finishes.
   */
  readonly kind: 'trajectory' | 'tool' | 'stream';
  readonly parent: OpenSpan | undefined;
  /** Identity children inherit: the trajectory's own fields plus `updateCurrentTrace` patches. */
  identity: Identity;
  ended: boolean;
  /**
   * Spans (trajectories and tool spans) opened directly under this one and not ended yet, in
   * opening order: finishing a trajectory ends what is still open under it first, innermost first.
   */
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

type AlsClass = new () => AsyncLocalStorage<Store>;
// Vercel Edge also exposes the class as a global; Workers only with `nodejs_als`/`nodejs_compat`.
const Als: AlsClass | undefined =
  (asyncHooks as { AsyncLocalStorage?: AlsClass }).AsyncLocalStorage ??
  (globalThis as { AsyncLocalStorage?: AlsClass }).AsyncLocalStorage;

/** Why spans cannot find their parents on this runtime (no `AsyncLocalStorage`); `init()` throws it. */
export const asyncContextProblem: string | undefined =
  typeof Als === 'function'
    ? undefined
    : 'AsyncLocalStorage (node:async_hooks) is not available in this runtime, so spans could not find their trajectory. ' +
      'On Cloudflare Workers add the `nodejs_als` (or `nodejs_compat`) compatibility flag: ' +
      '`compatibility_flags = ["nodejs_als"]` in wrangler.toml, or `"compatibility_flags": ["nodejs_als"]` in wrangler.jsonc.';

/** Only where `AsyncLocalStorage` is missing: scopes last for the synchronous call, never across `await`. */
class SyncOnlyStorage {
  #store: Store | undefined;
  getStore(): Store | undefined {
    return this.#store;
  }
  run<R>(store: Store, fn: () => R): R {
    const saved = this.#store;
    this.#store = store;
    try {
      return fn();
    } finally {
      this.#store = saved;
    }
  }
  enterWith(store: Store): void {
    this.#store = store;
  }
}

function createStorage(): AsyncLocalStorage<Store> {
  if (!Als) return new SyncOnlyStorage() as unknown as AsyncLocalStorage<Store>;
  const als = new Als();
  // Workers' AsyncLocalStorage throws "enterWith() is not implemented": a recording call must not
  // throw there, and without enterWith the context is simply not entered (run() scopes still work).
  const enterWith = als.enterWith.bind(als);
  als.enterWith = (store: Store) => {
    try {
      enterWith(store);
    } catch {
      /* not supported by this runtime */
    }
  };
  return als;
}

// In the global slot, so that the ESM and CommonJS copies of the SDK, if an app loads both, still
// agree on one context (the "dual package hazard").
export const storage: AsyncLocalStorage<Store> = shared('context', createStorage);

export function currentStore(): Store | undefined {
  return storage.getStore();
}

/**
 * Innermost open Bento span of this context. Ended ones are skipped: a context entered with `run`
 * can outlive the trajectory it made ambient (work scheduled inside it that runs later).
 */
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
