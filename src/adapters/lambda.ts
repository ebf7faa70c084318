/**
 * `@bentolabs/sdk/lambda`: `wrapHandler` makes an AWS Lambda handler deliver everything it
 * recorded before the runtime freezes the process, and before a timeout kills it. Async,
 * callback-style and response-streaming handlers are supported. Lambda types are re-declared
 * structurally here, so this entry point's types need no `@types/aws-lambda`.
 */
import type { Attributes } from '@opentelemetry/api';
import { checkInvocationOptions, runInvocation, type InvocationOptions } from '../core/invocation.js';
import { log } from '../core/logger.js';

/** The parts of the Lambda `Context` the adapter reads; the real `Context` satisfies it. */
export interface LambdaContextLike {
  awsRequestId: string;
  functionName: string;
  functionVersion?: string;
  invokedFunctionArn: string;
  getRemainingTimeInMillis(): number;
  callbackWaitsForEmptyEventLoop?: boolean;
  succeed?(...args: never[]): void;
  fail?(...args: never[]): void;
  done?(...args: never[]): void;
}

/** A writable response stream, as `awslambda.streamifyResponse` hands it to a handler. */
export interface LambdaResponseStreamLike {
  readonly writableFinished?: boolean;
  readonly destroyed?: boolean;
  once(event: 'finish' | 'close' | 'error', listener: (...args: unknown[]) => void): unknown;
}

/** Options of `wrapHandler`. Every field is optional. */
export type LambdaOptions = InvocationOptions;

// The runtime marks streaming handlers with these symbols (awslambda.streamifyResponse).
const STREAMING = Symbol.for('aws.lambda.runtime.handler.streaming');
const WRAPPED = Symbol.for('@bentolabs/sdk/lambda.wrapped');

type AnyFunction = (...args: never[]) => unknown;

// Process-wide on purpose: a cold start is a property of the process, not of a request.
let coldStart = true;

function lambdaAttributes(context: LambdaContextLike | undefined): Attributes {
  const attrs: Attributes = { 'cloud.provider': 'aws', 'cloud.platform': 'aws_lambda', 'faas.coldstart': coldStart };
  coldStart = false;
  if (!context || typeof context !== 'object') return attrs;
  if (typeof context.awsRequestId === 'string') attrs['faas.invocation_id'] = context.awsRequestId;
  if (typeof context.functionName === 'string') attrs['faas.name'] = context.functionName;
  if (typeof context.functionVersion === 'string') attrs['faas.version'] = context.functionVersion;
  if (typeof context.invokedFunctionArn === 'string') attrs['cloud.resource_id'] = context.invokedFunctionArn;
  return attrs;
}

function deadlineOf(context: LambdaContextLike | undefined): number | undefined {
  try {
    const remaining = context?.getRemainingTimeInMillis?.();
    return typeof remaining === 'number' && Number.isFinite(remaining) ? Date.now() + remaining : undefined;
  } catch {
    return undefined;
  }
}

const isThenable = (v: unknown): v is PromiseLike<unknown> => v !== null && typeof v === 'object' && typeof (v as PromiseLike<unknown>).then === 'function';

/**
 * Calls a handler the way the Node.js runtime does on nodejs20.x/22.x: every handler gets
 * `(event, context, callback)`, and the invocation settles on the first of the callback,
 * `context.succeed/fail/done`, or a returned promise. A handler declared with fewer than three
 * parameters that returns a plain value settles with that value (it cannot call back).
 */
function callHandler(handler: (...a: unknown[]) => unknown, thisArg: unknown, event: unknown, context: LambdaContextLike): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (error: unknown, result?: unknown) => {
      if (settled) return;
      settled = true;
      if (error !== undefined && error !== null) reject(error);
      else resolve(result);
    };
    // A child object keeps every field of the runtime's context (own or inherited) readable.
    const ctx = Object.create(context ?? null, {
      succeed: { value: (result: unknown) => finish(null, result) },
      fail: { value: (error: unknown) => finish(error ?? new Error('context.fail() called')) },
      done: { value: (error: unknown, result: unknown) => finish(error, result) },
    }) as LambdaContextLike;
    try {
      const returned = handler.call(thisArg, event, ctx, finish);
      if (isThenable(returned)) returned.then((v) => finish(null, v), (e: unknown) => finish(e ?? new Error('handler rejected')));
      else if (handler.length < 3) finish(null, returned);
    } catch (error) {
      finish(error ?? new Error('handler threw'));
    }
  });
}

function streamEnded(stream: LambdaResponseStreamLike | undefined): Promise<void> {
  if (!stream || typeof stream.once !== 'function' || stream.writableFinished || stream.destroyed) return Promise.resolve();
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
  if (typeof handler !== 'function') throw new TypeError(`wrapHandler() expects a Lambda handler function; got ${handler === null ? 'null' : typeof handler}.`);
  checkInvocationOptions(options, 'wrapHandler()');
  if ((handler as unknown as Record<symbol, unknown>)[WRAPPED]) return handler;
  const streaming = (handler as unknown as Record<symbol, unknown>)[STREAMING] === 'response';
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
    return runInvocation(fn, { ...options, attributes, deadline });
  };

  const wrapped = streaming
    ? async function (this: unknown, event: unknown, responseStream: LambdaResponseStreamLike, context: LambdaContextLike) {
        return run(context, async () => {
          const result = await call.call(this, event, responseStream, context);
          // The runtime freezes once the stream has ended, which may be after the handler resolved.
          await streamEnded(responseStream);
          return result;
        });
      }
    : async function (this: unknown, event: unknown, context: LambdaContextLike) {
        return run(context, () => callHandler(call, this, event, context));
      };
  // Keep the runtime's markers (streaming, highWaterMark) so it calls the wrapper the same way.
  for (const key of Object.getOwnPropertySymbols(handler)) {
    (wrapped as unknown as Record<symbol, unknown>)[key] = (handler as unknown as Record<symbol, unknown>)[key];
  }
  Object.defineProperty(wrapped, WRAPPED, { value: true });
  Object.defineProperty(wrapped, 'name', { value: handler.name || 'handler' });
  return wrapped as unknown as H;
}
