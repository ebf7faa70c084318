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
 *   too. Spans are then delivered where the process goes down anyway: by a signal, or by ending
 *   on its own (`beforeExit`). A host handler that ends with `process.exit()` must `await flush()`
 *   first (the `exit` hook says how many spans that cost otherwise).
 */
import { crashing, exited, exitingNaturally, exitingOnSignal, newExitState } from './exit-report.js';
import { log } from './logger.js';
import type { BentoLabsSpanProcessor } from './processor.js';

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

const FLUSH_ONLY = Symbol.for('@bentolabs/sdk.flush-only-signal-listener');

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
    process.kill(process.pid, signal);
  };
  // Set while ours was attached from inside the dispatch of a signal (a host's `once` listener
  // removing itself as it runs): Deno, unlike Node, also calls listeners added during that dispatch,
  // and this signal is the host's to handle. Cleared before the next one can be dispatched.
  let attachedMidDispatch = false;
  // Only attached while no other listener exists, so this signal would have ended the process.
  const onSignal = (signal: NodeJS.Signals) => {
    if (attachedMidDispatch) return;
    // A second signal while flushing: without the SDK the first one would already have ended it.
    if (dying) return die(signal);
    dying = true;
    void exitingOnSignal(processor, signalBudget, exit)
      .catch(() => undefined)
      .finally(() => die(signal));
  };

  markFlushOnly(onSignal);
  const othersListen = (signal: Signal) => process.listeners(signal).some((l) => l !== onSignal);
  const reconcile = (signal: Signal) => {
    if (detached || dying) return;
    const ours = process.listeners(signal).includes(onSignal);
    if (othersListen(signal)) {
      if (ours) process.off(signal, onSignal);
    } else if (!ours) {
      process.on(signal, onSignal);
      attachedMidDispatch = true;
      queueMicrotask(() => {
        attachedMidDispatch = false;
      });
    }
  };
  const onNewListener = (event: string | symbol, listener: unknown) => {
    if (!isOurSignal(event) || listener === onSignal) return;
    // Not now: Node emits `newListener` before adding the listener, and removing ours at this point
    // (the last one) would stop Node's signal watcher without it being started again for theirs.
    queueMicrotask(() => reconcile(event));
  };
  const onRemoveListener = (event: string | symbol, listener: unknown) => {
    if (!isOurSignal(event) || listener === onSignal) return;
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
    for (const signal of SIGNALS) process.off(signal, onSignal);
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
