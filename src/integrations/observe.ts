/**
 * Watching a client call without changing what the caller gets. The OpenAI and Anthropic clients
 * return an `APIPromise` (a Promise subclass with `withResponse()`, `asResponse()`...) that
 * resolves to a parsed body or, for `stream: true`, to a `Stream` whose helpers
 * (`toReadableStream()`, `tee()`, `MessageStream`'s `finalMessage()`...) all read through its
 * `iterator` function. So the same promise and the same stream object are returned, with two
 * hooks set on those instances: the promise's response parser, and the stream's iterator.
 */
import { log } from '../core/logger.js';

/** How one call's outcome is reported; each method is called at most once, one of them only. */
export interface CallObserver<Chunk> {
  /** A parsed, non-streamed body. */
  value(body: unknown): void;
  /** Every streamed chunk, in order. */
  chunk(chunk: Chunk): void;
  /** The stream was read to its end (`aborted`: it ended because the caller aborted it). */
  end(aborted: boolean): void;
  /** The caller stopped reading before the end (`break`, `cancel()`, `return()`). */
  cancel(): void;
  /** The request or the stream failed. */
  fail(error: unknown): void;
}

interface ApiPromiseLike {
  responsePromise: Promise<unknown>;
  parseResponse: (...args: unknown[]) => unknown;
  then: unknown;
}

interface StreamLike {
  iterator: () => AsyncIterator<unknown>;
  controller?: { signal?: AbortSignal };
}

const isApiPromise = (v: unknown): v is ApiPromiseLike =>
  v instanceof Promise &&
  typeof (v as Partial<ApiPromiseLike>).parseResponse === 'function' &&
  (v as Partial<ApiPromiseLike>).responsePromise instanceof Promise;

const isStream = (v: unknown): v is StreamLike =>
  v !== null && typeof v === 'object' && typeof (v as Partial<StreamLike>).iterator === 'function';

/** Another async iterable (a client that is not Stainless-generated, a test double). */
const isAsyncIterable = (v: unknown): v is AsyncIterable<unknown> =>
  v !== null && typeof v === 'object' && typeof (v as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function';

/** Runs a telemetry callback; its failure is logged, never thrown into the caller's path. */
function safely(fn: () => void): void {
  try {
    fn();
  } catch (error) {
    log.debug(`An integration callback failed: ${String(error)}`);
  }
}

/**
 * Observes what a client method returned and returns it: the same `APIPromise` (hooked), or for
 * anything else a promise that settles the same way.
 */
export function observeCall<T, Chunk>(result: T, observer: CallObserver<Chunk>): T {
  let reported = false;
  const once = (fn: () => void) => {
    if (reported) return;
    reported = true;
    safely(fn);
  };
  const fail = (error: unknown) => once(() => observer.fail(error));
  const settle = (value: unknown): unknown => {
    if (isStream(value)) watchStream(value, 'iterator', observer, once);
    else if (isAsyncIterable(value)) watchStream(value, Symbol.asyncIterator, observer, once);
    else once(() => observer.value(value));
    return value;
  };
  if (isApiPromise(result)) {
    // The request's own failure (HTTP 429/500 after retries, network) rejects `responsePromise`.
    // Replacing it by a chained copy keeps an unhandled rejection unhandled: nothing here catches
    // for the caller.
    const response = result.responsePromise;
    result.responsePromise = response.then(undefined, (error: unknown) => {
      fail(error);
      throw error;
    });
    const parse = result.parseResponse;
    result.parseResponse = async function (this: unknown, ...args: unknown[]) {
      let value: unknown;
      try {
        value = await parse.apply(this, args);
      } catch (error) {
        fail(error);
        throw error;
      }
      return settle(value);
    };
    return result;
  }
  if (result instanceof Promise)
    return result.then(settle, (error: unknown) => {
      fail(error);
      throw error;
    }) as T;
  return settle(result) as T;
}

/**
 * Hooks the stream's iterator function (`iterator` on the clients' `Stream`, through which
 * `Symbol.asyncIterator`, `tee()` and `toReadableStream()` all read; else `Symbol.asyncIterator`),
 * on that instance only.
 */
function watchStream<Chunk>(
  stream: object,
  key: 'iterator' | typeof Symbol.asyncIterator,
  observer: CallObserver<Chunk>,
  once: (fn: () => void) => void,
): void {
  const holder = stream as Record<PropertyKey, unknown> & Partial<StreamLike>;
  const iterator = holder[key] as (this: unknown) => AsyncIterator<unknown>;
  const hooked = function (this: unknown) {
    const inner = iterator.call(this);
    const aborted = () => holder.controller?.signal?.aborted === true;
    const wrapped: AsyncIterator<unknown> & AsyncIterable<unknown> = {
      // A plain `then` rather than an async function: one promise less per chunk.
      next(...args: [] | [unknown]) {
        return Promise.resolve(inner.next(...args)).then(
          (step) => {
            if (step.done) once(() => observer.end(aborted()));
            else safely(() => observer.chunk(step.value as Chunk));
            return step;
          },
          (error: unknown) => {
            once(() => observer.fail(error));
            throw error;
          },
        );
      },
      async return(value?: unknown) {
        once(() => observer.cancel());
        return inner.return ? inner.return(value) : { done: true, value };
      },
      async throw(error?: unknown) {
        once(() => observer.fail(error));
        if (inner.throw) return inner.throw(error);
        throw error;
      },
      [Symbol.asyncIterator]() {
        return this;
      },
    };
    return wrapped;
  };
  Object.defineProperty(holder, key, { value: hooked, writable: true, configurable: true });
}
