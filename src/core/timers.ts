/**
 * Real time for the SDK's deadlines, retries and batching: the timer functions and clocks as they
 * were when the SDK loaded.
 *
 * Test runners' fake timers replace them while a test runs: vitest's `vi.useFakeTimers()` and
 * `@sinonjs/fake-timers` patch `globalThis.setTimeout`, `setImmediate`, `Date` and `performance`,
 * and (checked on Node 20, 22 and 24) the exports of `node:timers` as well; `node:test`'s
 * `mock.timers.enable()` patches the globals and `node:timers` too. So `node:timers` is no way
 * around them; a reference taken before they are installed is. 0.1 used the globals at call time,
 * and a wrapped handler whose flush waited on a faked timer never resolved.
 *
 * If fake timers were already installed when the SDK loaded (a runner's setup file, Jest's
 * `fakeTimers.enableGlobally`), the globals are fakes: each function is then taken from
 * `node:timers` when that one is still real (Jest fakes its sandbox's globals, not Node's module).
 */

type TimerFns = {
  setTimeout: typeof globalThis.setTimeout;
  clearTimeout: typeof globalThis.clearTimeout;
  setImmediate: typeof globalThis.setImmediate;
  clearImmediate: typeof globalThis.clearImmediate;
};

const NAMES = ['setTimeout', 'clearTimeout', 'setImmediate', 'clearImmediate'] as const;

/** Whether `fn` looks like the platform's own function rather than a fake timer. */
function looksReal(fn: unknown, name: string): boolean {
  if (typeof fn !== 'function') return false;
  // sinon/vitest fakes carry `clock`, Jest's legacy fakes `_isMockFunction`; node:test's are bound
  // methods with another name.
  return !('clock' in fn) && !('_isMockFunction' in fn) && fn.name === name;
}

function nodeTimers(): Partial<TimerFns> | undefined {
  try {
    // `getBuiltinModule` (Node >= 20.16) rather than an import: edge bundles have no `node:timers`.
    const get = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process?.getBuiltinModule;
    return typeof get === 'function' ? (get('node:timers') as Partial<TimerFns>) : undefined;
  } catch {
    return undefined;
  }
}

function capture(): TimerFns {
  const fromModule = nodeTimers();
  const picked: Partial<TimerFns> = {};
  for (const name of NAMES) {
    const global = (globalThis as unknown as Partial<TimerFns>)[name];
    const candidate = fromModule?.[name];
    const chosen = looksReal(global, name) || !looksReal(candidate, name) ? global : candidate;
    (picked as Record<string, unknown>)[name] = chosen;
  }
  return picked as TimerFns;
}

const real = capture();

/** `setTimeout` as it was when the SDK loaded (see the module comment). */
export const realSetTimeout: typeof globalThis.setTimeout = real.setTimeout;
export const realClearTimeout: typeof globalThis.clearTimeout = real.clearTimeout;
/** `setImmediate`, where the platform has one (Node, Bun, Deno); `setTimeout(0)` elsewhere. */
export const realSetImmediate: typeof globalThis.setImmediate =
  typeof real.setImmediate === 'function'
    ? real.setImmediate
    : (((fn: () => void) => real.setTimeout(fn, 0)) as unknown as typeof globalThis.setImmediate);
export const realClearImmediate: typeof globalThis.clearImmediate =
  typeof real.clearImmediate === 'function'
    ? real.clearImmediate
    : (((handle: unknown) => real.clearTimeout(handle as never)) as unknown as typeof globalThis.clearImmediate);

const dateNow: () => number = Date.now;
const perf = globalThis.performance;
const perfNow: (() => number) | undefined = typeof perf?.now === 'function' ? perf.now.bind(perf) : undefined;
const dateIsReal = !('clock' in Date) && /\[native code\]/.test(Function.prototype.toString.call(dateNow));

/**
 * Epoch milliseconds by the real clock: `Date.now` as it was at load, or, when `Date` was already
 * faked then, the high-resolution clock's origin plus its reading.
 */
export function epochNow(): number {
  if (dateIsReal || !perfNow) return dateNow();
  return perf.timeOrigin + perfNow();
}

/**
 * An epoch deadline computed by the host (with its own `Date.now()`, which fake timers may have
 * frozen) turned into one on the real clock: the time the host says is left is kept.
 */
export function toRealDeadline(hostDeadline: number): number {
  return epochNow() + (hostDeadline - Date.now());
}

/*
 * On Workers and Vercel Edge `setTimeout` returns a number (no `unref`: "this.timer.unref is not a
 * function" on 0.1) and `setImmediate` may be missing; there the isolate's lifetime belongs to the
 * platform anyway, so there is nothing to unref.
 */

export type Timer = ReturnType<typeof setTimeout>;

/** Lets the process exit while `timer` is pending, where the runtime has that notion. */
export function unref<T>(timer: T): T {
  (timer as { unref?: () => void } | undefined)?.unref?.();
  return timer;
}

/** `setImmediate` where it exists (Node, Bun, Deno, Workers with `nodejs_compat`), else a 0 ms timeout; real time. */
export const runSoon = (fn: () => void): Timer => realSetImmediate(fn) as unknown as Timer;

export const cancelSoon = (timer: Timer): void => realClearImmediate(timer as unknown as NodeJS.Immediate);

/**
 * Resolves once `work` settles (either way) or `millis` of real time have passed, whichever comes
 * first; the wait itself never keeps the process alive. For bounding a wait that may outlive the
 * caller's budget (exports in flight at shutdown, the flush on Lambda's SIGTERM).
 */
export function settleWithin(work: Promise<unknown>, millis: number): Promise<void> {
  let timer: Timer | undefined;
  const outOfTime = new Promise<void>((resolve) => {
    timer = unref(realSetTimeout(resolve, millis));
  });
  const settled = work.then(
    () => undefined,
    () => undefined,
  );
  return Promise.race([settled, outOfTime]).finally(() => realClearTimeout(timer));
}
