/**
 * `@bentolabs/sdk/lambda`: `wrapHandler` makes an AWS Lambda handler deliver everything it
 * recorded before the runtime freezes the process, and before a timeout kills it. Async,
 * callback-style and response-streaming handlers are supported. Lambda types are re-declared
 * structurally here, so this entry point's types need no `@types/aws-lambda`.
 */
import type { Attributes } from '@opentelemetry/api';
import { checkInvocationOptions, type InvocationOptions } from '../core/adapter-options.js';
import { runChecked } from '../core/invocation.js';
import { deadlineOf, lambdaAttributes, type LambdaContextLike } from '../core/lambda-context.js';
import { sharedSymbol } from '../core/global.js';
import { log } from '../core/logger.js';

/** A writable response stream, as `awslambda.streamifyResponse` hands it to a handler. */
export interface LambdaResponseStreamLike {
  readonly writableFinished?: boolean;
  readonly destroyed?: boolean;
  once(event: 'finish' | 'close' | 'error', listener: (...args: unknown[]) => void): unknown;
}

export type { LambdaContextLike } from '../core/lambda-context.js';

/** Options of `wrapHandler`. Every field is optional. */
export type LambdaOptions = InvocationOptions;

// The runtime marks streaming handlers with these symbols (awslambda.streamifyResponse).
const STREAMING = Symbol.for('aws.lambda.runtime.handler.streaming');
const WRAPPED = sharedSymbol('lambda.wrapped');

type AnyFunction = (...args: never[]) => unknown;

const isThenable = (v: unknown): v is PromiseLike<unknown> =>
  v !== null && typeof v === 'object' && typeof (v as PromiseLike<unknown>).then === 'function';

/**
 * Calls a handler the way the Node.js runtime does on nodejs20.x/22.x: every handler gets
 * `(event, context, callback)`, and the invocation settles on the first of the callback,
 * `context.succeed/fail/done`, or a returned promise. A handler declared with fewer than three
 * parameters that returns a plain (non-undefined) value settles with that value. One that returns
 * nothing may still answer later through `context.succeed/done` (a common pre-async pattern), so
 * it is waited for; if the event loop drains first it answers `undefined`, as the runtime does.
 */
function callHandler(
  handler: (...a: unknown[]) => unknown,
  thisArg: unknown,
  event: unknown,
  context: LambdaContextLike,
): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let settled = false;
    let onDrain: (() => void) | undefined;
    const finish = (failed: boolean, value: unknown) => {
      if (settled) return;
      settled = true;
      if (onDrain) process.off('beforeExit', onDrain);
      if (failed) reject(value);
      else resolve(value);
    };
    // Same rules as the runtime's callback: only null/undefined count as "no error".
    const callback = (error?: unknown, result?: unknown) =>
      error !== undefined && error !== null ? finish(true, error) : finish(false, result);
    const ctx = contextFor(context, {
      succeed: (result: unknown) => callback(null, result),
      // The runtime reports a bare `context.fail()` as the string 'handled'; keep that.
      fail: (error: unknown) => finish(true, error ?? 'handled'),
      done: callback,
    });
    let returned: unknown;
    try {
      returned = handler.call(thisArg, event, ctx, callback);
    } catch (error) {
      callback(error);
      return;
    }
    // A rejection keeps its reason as-is (even `undefined`), so the runtime reports it unchanged.
    if (isThenable(returned))
      returned.then(
        (v) => finish(false, v),
        (e: unknown) => finish(true, e),
      );
    else if (settled) return;
    else if (returned !== undefined && handler.length < 3) finish(false, returned);
    else {
      onDrain = () => finish(false, undefined);
      process.once('beforeExit', onDrain);
    }
  });
}

/**
 * A copy of the runtime's context whose succeed/fail/done settle our promise. Own properties
 * (accessors included) are copied rather than inherited, so `{ ...context }`, `Object.keys` and
 * `JSON.stringify(context)` in user code still see `awsRequestId` and the rest.
 */
function contextFor(
  context: LambdaContextLike | undefined,
  methods: Record<'succeed' | 'fail' | 'done', (...a: never[]) => void>,
): LambdaContextLike {
  const source: object = context !== null && typeof context === 'object' ? context : {};
  const descriptors: PropertyDescriptorMap = Object.getOwnPropertyDescriptors(source);
  for (const [key, value] of Object.entries(methods))
    descriptors[key] = { value, writable: true, enumerable: true, configurable: true };
  return Object.create(Object.getPrototypeOf(source) as object | null, descriptors) as LambdaContextLike;
}

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
 * Wraps a Lambda handler so that every span it recorded is exported before the runtime freezes
 * the process, and so that a handler about to time out still delivers what it recorded. The
 * handler's result and error pass through unchanged. Wrapping twice returns the same wrapper.
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
  if ((handler as unknown as Record<symbol, unknown>)[WRAPPED]) return handler;
  const call = handler as unknown as (...a: unknown[]) => unknown;
  const run = (context: LambdaContextLike | undefined, fn: () => unknown) => {
    let attributes: Attributes = {};
    let deadline: number | undefined;
    try {
      attributes = lambdaAttributes(context);
      deadline = deadlineOf(context);
    } catch (error) {
      log.debug(`Could not read the Lambda context: ${String(error)}`);
    }
    return runChecked(fn, { ...clean, attributes, deadline });
  };
  const dispatch = (thisArg: unknown, args: unknown[]): Promise<unknown> => {
    const [event, second, third] = args;
    // Read at call time, not wrap time: `awslambda.streamifyResponse(wrapHandler(h))` marks the
    // wrapper after it was created, and the runtime then passes (event, responseStream, context).
    if ((wrapped as unknown as Record<symbol, unknown>)[STREAMING] === 'response') {
      const stream = second as LambdaResponseStreamLike;
      return run(third as LambdaContextLike, async () => {
        const result = await call.call(thisArg, event, stream, third);
        // The runtime freezes once the stream has ended, which may be after the handler resolved.
        await streamEnded(stream);
        return result;
      });
    }
    return run(second as LambdaContextLike, () => callHandler(call, thisArg, event, second as LambdaContextLike));
  };
  // The runtime treats an `async function` that leaves the event loop empty without answering as
  // a failure (Runtime.NodeJsExit) and any other function as answering null, so the wrapper is
  // the same kind of function as the handler: wrapping must not change that outcome.
  const wrapped =
    handler.constructor?.name === 'AsyncFunction'
      ? async function (this: unknown, ...args: unknown[]) {
          return dispatch(this, args);
        }
      : function (this: unknown, ...args: unknown[]) {
          return dispatch(this, args);
        };
  // Keep the runtime's markers (streaming, highWaterMark) so it calls the wrapper the same way.
  for (const key of Object.getOwnPropertySymbols(handler)) {
    (wrapped as unknown as Record<symbol, unknown>)[key] = (handler as unknown as Record<symbol, unknown>)[key];
  }
  Object.defineProperty(wrapped, WRAPPED, { value: true });
  Object.defineProperty(wrapped, 'name', { value: handler.name || 'handler' });
  return wrapped as unknown as H;
}
