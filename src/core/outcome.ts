/**
 * When is a call over, and what did it produce? One answer for every span that wraps user code
 * (`begin`/`toolSpan` callbacks, the `interaction`/`tool` wrappers): a plain value is over at once,
 * a thenable when it settles, and (where the caller asks for it) a generator when its iteration
 * ends. 0.1 had three diverging "is this async?" checks; this is the one the core uses. (The Lambda
 * adapter keeps its own, narrower check on purpose: it mirrors the Node.js runtime's rule.)
 */
import { log } from './logger.js';

/** Yielded values kept as a generator span's output; later ones are counted, not kept. */
export const MAX_YIELDED_ITEMS = 100;

/** A promise or any object/function with a callable `then`, as `await` sees it. */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return false;
  try {
    return typeof (value as PromiseLike<unknown>).then === 'function';
  } catch {
    // A hostile `then` getter: `await` would throw too, so treat it as a plain value here.
    return false;
  }
}

type AnyGenerator = Generator<unknown, unknown, unknown> | AsyncGenerator<unknown, unknown, unknown>;

/**
 * `'sync'`/`'async'` for objects made by a generator function, else `undefined`. Only real
 * generators: a stream or client object that merely is iterable keeps its identity and is treated
 * as a plain value.
 */
export function generatorKind(value: unknown): 'sync' | 'async' | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const tag = Object.prototype.toString.call(value);
  if (tag === '[object Generator]') return 'sync';
  if (tag === '[object AsyncGenerator]') return 'async';
  return undefined;
}

/** How a call ended. */
export interface Outcome {
  /** The call threw, its promise rejected, or its iteration threw. */
  failed: boolean;
  error?: unknown;
  /** The return value (awaited for a thenable; a generator's `return` value). */
  value?: unknown;
  /** For a generator: the first {@link MAX_YIELDED_ITEMS} yielded values. */
  items?: unknown[];
  /** For a generator: how many values it yielded in all. */
  itemCount?: number;
}

export interface SettleOptions {
  /**
   * Given, a returned generator is followed through its iteration: each `next`/`return`/`throw`
   * runs inside `step` (so what the generator records nests under the span), and the outcome is
   * reported when the iteration ends. The caller gets a wrapped generator.
   */
  step?: <R>(fn: () => R) => R;
}

function report(done: (outcome: Outcome) => void, outcome: Outcome): void {
  try {
    done(outcome);
  } catch (error) {
    // Recording the end of a span must never replace the user's result or error.
    log.warn(`Could not record the end of a span: ${String(error)}`);
  }
}

/**
 * Runs `fn` and reports how it ended to `done`, for sync, async and (with `options.step`)
 * generator results alike. Rethrows `fn`'s error unchanged and returns its result unchanged: the
 * same promise type for thenables (`then` is called once), a wrapper for generators.
 */
export function settle<T>(fn: () => T, done: (outcome: Outcome) => void, options: SettleOptions = {}): T {
  let result: T;
  try {
    result = fn();
  } catch (error) {
    report(done, { failed: true, error });
    throw error;
  }
  if (isThenable(result)) {
    return (result as unknown as Promise<unknown>).then(
      (value) => {
        report(done, { failed: false, value });
        return value;
      },
      (error: unknown) => {
        report(done, { failed: true, error });
        throw error;
      },
    ) as T;
  }
  const kind = options.step ? generatorKind(result) : undefined;
  if (kind && options.step) return followGenerator(result as AnyGenerator, kind, options.step, done) as T;
  report(done, { failed: false, value: result });
  return result;
}

type Method = 'next' | 'return' | 'throw';

/**
 * A generator that forwards every call to `gen` inside `step`, remembers what it yields, and
 * reports the end of the iteration: completion, `return()`, or an error thrown out of it. It
 * inherits `gen`'s prototype, so `instanceof` the generator function and the iterator protocol
 * behave as before.
 */
function followGenerator(
  gen: AnyGenerator,
  kind: 'sync' | 'async',
  step: <R>(fn: () => R) => R,
  done: (outcome: Outcome) => void,
): AnyGenerator {
  const items: unknown[] = [];
  let itemCount = 0;
  let over = false;
  const end = (outcome: Outcome) => {
    if (over) return;
    over = true;
    report(done, { ...outcome, items, itemCount });
  };
  const onResult = (r: IteratorResult<unknown, unknown>) => {
    if (r?.done) end({ failed: false, value: r.value });
    else if (!over) {
      if (items.length < MAX_YIELDED_ITEMS) items.push(r?.value);
      itemCount++;
    }
    return r;
  };
  const onError = (error: unknown): never => {
    end({ failed: true, error });
    throw error;
  };
  const call = (method: Method, arg: unknown): unknown => {
    let r: unknown;
    try {
      r = step(() => (gen[method] as (v: unknown) => unknown).call(gen, arg));
    } catch (error) {
      return onError(error);
    }
    if (kind === 'async') return (r as Promise<IteratorResult<unknown, unknown>>).then(onResult, onError);
    return onResult(r as IteratorResult<unknown, unknown>);
  };
  const wrapper = Object.create(Object.getPrototypeOf(gen) as object) as AnyGenerator;
  for (const method of ['next', 'return', 'throw'] as const) {
    Object.defineProperty(wrapper, method, {
      value: (arg?: unknown) => call(method, arg),
      writable: true,
      configurable: true,
    });
  }
  return wrapper;
}
