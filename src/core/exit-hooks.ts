/**
 * Flushing when a long-running process goes down (SPEC §7), without changing how it goes down.
 *
 * - `beforeExit`: a script that ends on its own is flushed (the flush keeps it alive until then).
 * - `exit`: `process.exit()` cannot wait; what it cost is logged, so the loss is never silent.
 * - `SIGTERM`/`SIGINT`: **the SDK listens to a signal only while nothing else does.** A signal
 *   listener is not a passive observer: adding one turns off Node's default "die by the signal",
 *   and libraries count the listeners to decide who acts. signal-exit (v3 and v4, e.g. through
 *   execa) re-raises the signal only when its own listeners are the only ones, so with 0.1's
 *   listener beside it neither re-raised and SIGTERM no longer ended the process; and a host's
 *   `process.once('SIGTERM', drain)` is removed before it runs, so 0.1 then saw itself alone and
 *   re-raised, killing the drain (exit 143 instead of 0).
 *
 *   So our listener stands in for Node's default only: while no other listener exists, it flushes
 *   (bounded) and re-raises the signal, and the process dies by it as it would have. As soon as
 *   someone else listens, ours is removed and the process behaves exactly as without the SDK; when
 *   the last other listener goes (a `once` handler firing, signal-exit unloading before it
 *   re-raises), ours is back before the next signal can arrive, so a re-raised signal is flushed
 *   too. While others listen, an *observer* stands first in line instead: when a signal comes it
 *   takes itself out before anyone counts listeners, starts a bounded flush (so a host handler
 *   that ends with `process.exit()` a little later finds the spans delivered) and comes back once
 *   the dispatch is over. It never decides anything: no re-raise, no spans ended (the host may
 *   well keep running). What a `process.exit()` still cuts short, the `exit` hook reports.
 */
import { crashing, exited, exitingNaturally, exitingOnSignal, newExitState } from './exit-report.js';
import { shared } from './global.js';
import { log } from './logger.js';
import type { BentoLabsSpanProcessor } from './processor.js';

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

const FLUSH_ONLY = Symbol.for('@bentolabs/sdk.flush-only-signal-listener');

// In the global slot: the Lambda extension (possibly another copy of this module) re-raises too.
const reraised = shared('reraisedSignals', () => new Set<string>());

/**
 * Re-raises `signal` after a flush-only listener has flushed for it: a listener of ours that
 * catches it then lets the process die at once instead of flushing again (the Lambda extension's
 * 300 ms SIGTERM flush was followed by a second one of up to `exitFlushTimeoutMillis`).
 */
export function reraise(signal: NodeJS.Signals): void {
  reraised.add(signal);
  // Through globalThis, as below: Next's edge build warns about every use of the global `process`.
  const host = (globalThis as { process?: NodeJS.Process }).process;
  host?.kill(host.pid, signal);
}

/**
 * Tags a signal listener of ours that only flushes and re-raises: it never decides the process's
 * exit, so another flush-only listener (the Lambda extension's SIGTERM one) re-raises beside it.
 */
export function markFlushOnly(listener: (...args: never[]) => unknown): void {
  (listener as unknown as Record<symbol, boolean>)[FLUSH_ONLY] = true;
}

export function isFlushOnly(listener: unknown): boolean {
  return typeof listener === 'function' && (listener as unknown as Record<symbol, unknown>)[FLUSH_ONLY] === true;
}
type Signal = (typeof SIGNALS)[number];
const isOurSignal = (event: string | symbol): event is Signal => SIGNALS.includes(event as Signal);

export interface ExitHookOptions {
  /** Longest the exit hooks keep the process alive to deliver (`exitFlushTimeoutMillis`). */
  flushMillis: number;
  /** How long a signal that ends the process may wait for the flush. @default flushMillis */
  signalFlushMillis?: number;
}

/** Attaches the hooks; returns the function that detaches all of them. */
export function attachExitHooks(processor: BentoLabsSpanProcessor, options: ExitHookOptions): () => void {
  // A local `process` read through globalThis: Next's edge build warns about every use of the global
  // one, and edge runtimes have no process to hook (a Worker's nodejs_compat `process` sends no signals).
  const process = (globalThis as { process?: NodeJS.Process }).process;
  if (!process || typeof process.on !== 'function' || typeof process.kill !== 'function') return () => undefined;
  const budget = options.flushMillis;
  const signalBudget = options.signalFlushMillis ?? budget;
  const exit = newExitState();
  let detached = false;
  let dying = false;

  // Each exit-time flush is bounded by `exitFlushTimeoutMillis`, and what could not be delivered is
  // named with its real cause (see exit-report.ts).
  const onBeforeExit = () => exitingNaturally(processor, budget, exit);
  // process.exit() and crashes skip beforeExit and cannot wait for anything: say what it cost and
  // why, so the loss is never silent (the Node.js twin of the vendor page's `os._exit()` item).
  const onExit = () => exited(processor, exit);
  const onCrash = (error: unknown, origin: string) => crashing(exit, error, origin);

  const die = (signal: NodeJS.Signals) => {
    detach();
    reraise(signal);
  };
  // Set while ours was attached from inside the dispatch of a signal (a host's `once` listener
  // removing itself as it runs): Deno, unlike Node, also calls listeners added during that dispatch,
  // and this signal is the host's to handle. Cleared before the next one can be dispatched.
  let attachedMidDispatch = false;
  // Only attached while no other listener exists, so this signal would have ended the process.
  const onSignal = (signal: NodeJS.Signals) => {
    if (attachedMidDispatch) return;
    // A second signal while flushing: without the SDK the first one would already have ended it.
    // A signal re-raised after a flush (the Lambda extension's) has had its flush.
    if (dying || reraised.has(signal)) return die(signal);
    dying = true;
    void exitingOnSignal(processor, signalBudget, exit)
      .catch(() => undefined)
      .finally(() => die(signal));
  };

  // While others listen: first in line, out of the way before anyone counts listeners, back after
  // the dispatch (a microtask runs once every listener of this dispatch has been called).
  // Not put back during the dispatch: the listeners after it (signal-exit) count the others.
  // Not on Deno: its dispatch walks the live listener list, so an observer taking itself out made
  // it skip the next listener (signal-exit never ran and the process hung); there, a host that
  // listens to a signal gets no flush from it (beforeExit and the exit report still apply).
  const observe = !('Deno' in globalThis);
  const observers = {} as Record<Signal, () => void>;
  const dispatching = new Set<Signal>();
  for (const signal of SIGNALS) {
    observers[signal] = () => {
      dispatching.add(signal);
      process.off(signal, observers[signal]);
      void processor.flush(signalBudget).catch(() => undefined);
      queueMicrotask(() => {
        dispatching.delete(signal);
        reconcile(signal);
      });
    };
    markFlushOnly(observers[signal]);
  }
  const isOurs = (l: unknown) => l === onSignal || Object.values(observers).includes(l as () => void);

  markFlushOnly(onSignal);
  const othersListen = (signal: Signal) => process.listeners(signal).some((l) => !isOurs(l));
  const reconcile = (signal: Signal) => {
    if (detached || dying) return;
    const listening = process.listeners(signal);
    const ours = listening.includes(onSignal);
    const observing = listening.includes(observers[signal]);
    // Each change adds before it removes: a signal with no listener at all would kill the process.
    if (othersListen(signal)) {
      if (observe && !observing && !dispatching.has(signal)) process.prependListener(signal, observers[signal]);
      if (ours) process.off(signal, onSignal);
      return;
    }
    if (!ours) {
      process.on(signal, onSignal);
      attachedMidDispatch = true;
      queueMicrotask(() => {
        attachedMidDispatch = false;
      });
    }
    if (observing) process.off(signal, observers[signal]);
  };
  const onNewListener = (event: string | symbol, listener: unknown) => {
    if (!isOurSignal(event) || isOurs(listener)) return;
    // Not now: Node emits `newListener` before adding the listener, and removing ours at this point
    // (the last one) would stop Node's signal watcher without it being started again for theirs.
    queueMicrotask(() => reconcile(event));
  };
  const onRemoveListener = (event: string | symbol, listener: unknown) => {
    if (!isOurSignal(event) || isOurs(listener)) return;
    // Now: signal-exit removes its listeners and re-raises the signal in the same breath.
    reconcile(event);
  };

  const detach = () => {
    if (detached) return;
    detached = true;
    process.off('newListener', onNewListener);
    process.off('removeListener', onRemoveListener);
    process.off('beforeExit', onBeforeExit);
    process.off('exit', onExit);
    process.off('uncaughtExceptionMonitor', onCrash);
    for (const signal of SIGNALS) {
      process.off(signal, onSignal);
      process.off(signal, observers[signal]);
    }
  };

  try {
    process.on('beforeExit', onBeforeExit);
    process.on('exit', onExit);
    process.on('uncaughtExceptionMonitor', onCrash);
    process.on('newListener', onNewListener);
    process.on('removeListener', onRemoveListener);
    for (const signal of SIGNALS) reconcile(signal);
  } catch (error) {
    // A platform with a partial `process` (some edge runtimes): no hooks rather than a failed init.
    log.debug(`Exit hooks not attached: ${String(error)}`);
    detach();
  }
  return detach;
}
