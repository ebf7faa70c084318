/**
 * Timers that work on every runtime the SDK supports. On Workers and Vercel Edge `setTimeout`
 * returns a number (no `unref`: "this.timer.unref is not a function" on 0.1) and `setImmediate`
 * may be missing; there the isolate's lifetime belongs to the platform anyway, so there is
 * nothing to unref.
 */

export type Timer = ReturnType<typeof setTimeout>;

/** Lets the process exit while `timer` is pending, where the runtime has that notion. */
export function unref<T>(timer: T): T {
  (timer as { unref?: () => void } | undefined)?.unref?.();
  return timer;
}

/** `setImmediate` where it exists (Node, Bun, Deno, Workers with `nodejs_compat`), else a 0 ms timeout. */
export const runSoon: (fn: () => void) => Timer =
  typeof setImmediate === 'function' ? (fn) => setImmediate(fn) as unknown as Timer : (fn) => setTimeout(fn, 0);

export const cancelSoon: (timer: Timer) => void =
  typeof clearImmediate === 'function'
    ? (timer) => clearImmediate(timer as unknown as NodeJS.Immediate)
    : (timer) => clearTimeout(timer);
