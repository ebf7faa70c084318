/**
 * `@bentolabs/sdk/lambda`: `wrapHandler` makes an AWS Lambda handler deliver everything it
 * recorded before the runtime freezes the process, and before a timeout kills it, while the
 * handler answers exactly when and what it would unwrapped: the runtime keeps its own rules
 * (Node 22's callback and `callbackWaitsForEmptyEventLoop`, Node 24's refusal of callback
 * handlers, streaming). Where an internal extension holds the freeze (see lambda-extension.ts)
 * the spans are exported after the runtime posted the response; elsewhere, just before.
 * Lambda types are re-declared structurally, so this entry point needs no `@types/aws-lambda`.
 */
import { flush } from '../core/client.js';
import { checkInvocationOptions, readOption, type InvocationOptions } from '../core/adapter-options.js';
import { sharedSymbol } from '../core/global.js';
import { extensionState } from '../core/lambda-state.js';
import { startInvocation } from '../core/lambda-invocation.js';
import type { LambdaContextLike } from '../core/lambda-context.js';

/** A writable response stream, as `awslambda.streamifyResponse` hands it to a handler. */
export interface LambdaResponseStreamLike {
  readonly writableFinished?: boolean;
  readonly destroyed?: boolean;
  once(event: 'finish' | 'close' | 'error', listener: (...args: unknown[]) => void): unknown;
}

export type { LambdaContextLike } from '../core/lambda-context.js';

/** Options of `wrapHandler`. Every field is optional. */
export interface LambdaOptions extends InvocationOptions {
  /**
   * Export after the runtime posted the response, while an internal extension holds the freeze
   * (AWS Lambda only; see the README). `false` flushes before the response, as 0.1 did. Env
   * `BENTOLABS_DELIVER_AFTER_RESPONSE=false` does the same. @default true
   */
  deliverAfterResponse?: boolean;
}

// The runtime marks streaming handlers with these symbols (awslambda.streamifyResponse).
const STREAMING = Symbol.for('aws.lambda.runtime.handler.streaming');
const WRAPPED = sharedSymbol('lambda.wrapped');

type AnyFunction = (...args: never[]) => unknown;

const isThenable = (v: unknown): v is PromiseLike<unknown> =>
  v !== null && typeof v === 'object' && typeof (v as PromiseLike<unknown>).then === 'function';

let flusherAdded = false;

function streamEnded(stream: LambdaResponseStreamLike | undefined): Promise<void> {
  if (!stream || typeof stream.once !== 'function' || stream.writableFinished || stream.destroyed)
    return Promise.resolve();
  return new Promise((resolve) => {
    stream.once('finish', () => resolve());
    stream.once('close', () => resolve());
    stream.once('error', () => resolve());
  });
}

/**
 * A copy of the runtime's context whose succeed/fail/done (Node 22's runtime has them) first let
 * the invocation deliver. Own properties (accessors included) are copied rather than inherited,
 * so `{ ...context }`, `Object.keys`, `JSON.stringify(context)` and the runtime's
 * `callbackWaitsForEmptyEventLoop` accessor behave as on the original. Without those methods
 * (Node 24) the runtime's own context is passed unchanged.
 */
function contextFor(context: unknown, before: (forward: () => void) => void): unknown {
  if (context === null || typeof context !== 'object') return context;
  const methods = ['succeed', 'fail', 'done'].filter(
    (m) => typeof (context as Record<string, unknown>)[m] === 'function',
  );
  if (methods.length === 0) return context;
  const descriptors: PropertyDescriptorMap = Object.getOwnPropertyDescriptors(context);
  for (const method of methods) {
    const original = (context as Record<string, (...a: unknown[]) => unknown>)[method]!;
    descriptors[method] = {
      value: (...a: unknown[]) => before(() => original.apply(context, a)),
      writable: true,
      enumerable: true,
      configurable: true,
    };
  }
  return Object.create(Object.getPrototypeOf(context) as object | null, descriptors) as unknown;
}

/**
 * Wraps a Lambda handler so that every span it recorded is delivered before the runtime freezes
 * the process (after the response where Lambda allows it), and so that a handler about to time
 * out still delivers what it recorded. The wrapper has the handler's arity and kind of result,
 * so the runtime treats it exactly as the handler. Wrapping twice returns the same wrapper.
 * @example
 * import { wrapHandler } from '@bentolabs/sdk/lambda';
 * export const handler = wrapHandler(async (event) => {
 *   trackAi({ event: 'answer', model: 'gpt-4o', provider: 'openai', input: event.body, output: 'hi' });
 *   return { statusCode: 200, body: 'hi' };
 * });
 */
export function wrapHandler<H extends AnyFunction>(handler: H, options: LambdaOptions = {}): H {
  if (typeof handler !== 'function')
    throw new TypeError(
      `wrapHandler() expects a Lambda handler function; got ${handler === null ? 'null' : typeof handler}.`,
    );
  const clean = checkInvocationOptions(options, 'wrapHandler()');
  const after = options === undefined ? undefined : readOption(options, 'deliverAfterResponse', 'wrapHandler()');
  if (after !== undefined && typeof after !== 'boolean')
    throw new TypeError(`wrapHandler(): \`deliverAfterResponse\` must be a boolean; got ${typeof after}.`);
  if ((handler as unknown as Record<symbol, unknown>)[WRAPPED]) return handler;
  const state = extensionState();
  state.wrappers += 1;
  if (after === false && state.delivery === 'after-response') {
    state.delivery = 'inline';
    state.reason = '`deliverAfterResponse: false`: flushing before each response';
  }
  if (!flusherAdded) {
    flusherAdded = true;
    state.flushers.add((timeoutMillis) => flush({ timeoutMillis }));
  }
  const call = handler as unknown as (...a: unknown[]) => unknown;

  const invoke = (thisArg: unknown, args: unknown[]): unknown => {
    const streaming = (wrapped as unknown as Record<symbol, unknown>)[STREAMING] === 'response';
    const [event, second, third] = args;
    const context = (streaming ? third : second) as LambdaContextLike | undefined;
    // Node 22's runtime passes a callback; Node 24's passes (event, context) only.
    const runtimeCallback =
      !streaming && typeof third === 'function' ? (third as (...a: unknown[]) => void) : undefined;
    const inv = startInvocation(context, clean, after !== false, runtimeCallback !== undefined);
    if (!inv) return call.apply(thisArg, args);

    if (streaming) {
      const returned = inv.run(() => call.apply(thisArg, args));
      if (!isThenable(returned)) {
        void inv.answer();
        return returned;
      }
      return (async () => {
        try {
          const value = await returned;
          await streamEnded(second as LambdaResponseStreamLike);
          return value;
        } finally {
          await inv.answer();
        }
      })();
    }

    // Each way the handler can answer first lets the invocation deliver (or hand the delivery to
    // the extension), then forwards to the runtime unchanged.
    let callArgs = args;
    if (runtimeCallback) {
      const callback = (error?: unknown, result?: unknown): void => {
        const failed = error !== undefined && error !== null;
        // Node 22's runtime answers a callback only once the event loop is empty, unless told not to.
        if (!failed && context?.callbackWaitsForEmptyEventLoop !== false) {
          inv.answerAtDrain();
          runtimeCallback(error, result);
          return;
        }
        inv.before(() => runtimeCallback(error, result));
      };
      callArgs = [event, contextFor(second, (forward) => inv.before(forward)), callback, ...args.slice(3)];
    }
    let returned: unknown;
    try {
      returned = inv.run(() => call.apply(thisArg, callArgs));
    } catch (error) {
      // Thrown synchronously: the runtime reports it as the invocation's error. The same error,
      // after the delivery.
      return inv.answer().then(() => Promise.reject(error));
    }
    if (isThenable(returned)) {
      return Promise.resolve(returned).then(
        (value) => inv.answer().then(() => value),
        (error: unknown) => inv.answer().then(() => Promise.reject(error)),
      );
    }
    // Node 22's runtime ignores a plain return value (the answer comes from the callback, the
    // context or the empty event loop); Node 24's answers with it at once.
    if (runtimeCallback) return returned;
    return inv.answer().then(() => returned);
  };

  // A plain function with the handler's arity: Node 24 refuses handlers declared with three
  // parameters (callback style), and must refuse the wrapper of one exactly as it would the handler.
  const wrapped = function (this: unknown, ...args: unknown[]) {
    return invoke(this, args);
  };
  Object.defineProperty(wrapped, 'length', { value: handler.length });
  // Keep the runtime's markers (streaming, highWaterMark) so it calls the wrapper the same way.
  for (const key of Object.getOwnPropertySymbols(handler)) {
    (wrapped as unknown as Record<symbol, unknown>)[key] = (handler as unknown as Record<symbol, unknown>)[key];
  }
  Object.defineProperty(wrapped, WRAPPED, { value: true });
  Object.defineProperty(wrapped, 'name', { value: handler.name || 'handler' });
  return wrapped as unknown as H;
}
