/**
 * `@bentolabs/sdk/middy`: a Middy middleware that makes a Lambda handler deliver what it recorded
 * before the runtime freezes the process. It translates Middy's before/after/onError lifecycle
 * onto one core invocation. Middy's types are re-declared structurally (`MiddyRequestLike`), so
 * this entry point neither imports `@middy/core` nor needs its types; it works with 6.x and 7.x.
 */
import { checkInvocationOptions, type InvocationOptions } from '../core/adapter-options.js';
import { openInvocation, type OpenInvocation } from '../core/invocation.js';
import { bodyEndingAfter } from '../core/stream-end.js';
import { logOnce } from '../core/logger.js';
import { safely } from '../core/safely.js';
import { deadlineOf, lambdaAttributes, type LambdaContextLike } from '../core/lambda-context.js';

/** The parts of Middy's `request` the middleware uses; Middy 6.x and 7.x requests satisfy it. */
export interface MiddyRequestLike {
  event: unknown;
  context: unknown;
  response: unknown;
  error: unknown;
  internal: object;
}

/** What `bentoMiddleware()` returns: pass it to `middy(handler).use(...)`. */
export interface MiddyMiddlewareLike {
  before: (request: MiddyRequestLike) => void;
  after: (request: MiddyRequestLike) => Promise<void> | void;
  onError: (request: MiddyRequestLike) => Promise<void> | void;
}

/** Options of `bentoMiddleware()`. Every field is optional. */
export type MiddyOptions = InvocationOptions;

// Per-invocation state lives on `request.internal`, never in the factory: one middleware object
// serves every (possibly overlapping) invocation of the function.
const KEY = '@bentolabs/sdk';

interface State {
  /** The middleware object that opened the invocation: a second copy in the chain leaves it alone. */
  readonly owner: MiddyMiddlewareLike;
  readonly invocation: OpenInvocation;
}

const noop = (): void => undefined;

function stateOf(request: MiddyRequestLike | undefined): State | undefined {
  const internal = request?.internal as Record<string, State | undefined> | undefined;
  return internal?.[KEY];
}

function ownInvocation(request: MiddyRequestLike, owner: MiddyMiddlewareLike): OpenInvocation | undefined {
  const state = stateOf(request);
  return state?.owner === owner && !state.invocation.closed ? state.invocation : undefined;
}

/**
 * A middleware after Middy's `earlyResponse` short-circuit never reaches our after/onError. Middy
 * then reads `request.response` once more to return it (6.x and 7.x alike), so while a
 * short-circuit is pending that read yields a promise that flushes first and then settles as
 * Middy would have: with the response, or with `request.error` when there is no response.
 * Powertools solves the same problem cooperatively (`cleanupMiddlewares`); this needs no help
 * from the middleware that returned early.
 */
function closeOnShortCircuit(request: MiddyRequestLike, invocation: OpenInvocation): void {
  let value = request.response;
  let pending: Promise<unknown> | undefined;
  Object.defineProperty(request, 'response', {
    configurable: true,
    enumerable: true,
    get() {
      // 7.x tests `'earlyResponse' in request`, 6.x `Object.hasOwn`; `in` covers both.
      if (pending || invocation.closed || !('earlyResponse' in request)) return pending ?? value;
      pending = invocation.close().then(() => {
        Object.defineProperty(request, 'response', { value, writable: true, enumerable: true, configurable: true });
        if (value === undefined && request.error !== undefined && request.error !== null) throw request.error;
        return value;
      });
      return pending;
    },
    set(next: unknown) {
      value = next;
    },
  });
}

/** In streaming mode the body is written after `after` ran; close when it has been read instead. */
function holdStreamedBody(request: MiddyRequestLike, invocation: OpenInvocation): boolean {
  const response = request.response;
  const close = () => invocation.close();
  const direct = bodyEndingAfter(response, close);
  if (direct) {
    request.response = direct;
    return true;
  }
  if (response === null || typeof response !== 'object' || !('body' in response)) return false;
  const body = bodyEndingAfter(response.body, close);
  if (body) request.response = { ...response, body };
  return body !== undefined;
}

/** A hook failed half-way (a locked body stream, a throwing getter): still flush what was recorded. */
function closeQuietly(request: MiddyRequestLike, owner: MiddyMiddlewareLike): Promise<void> | undefined {
  return ownInvocation(request, owner)?.close().then(noop);
}

function warnIfDetached(invocation: OpenInvocation): void {
  if (invocation.active) return;
  logOnce(
    'warn',
    'middy-order',
    'bentoMiddleware() ran after an asynchronous middleware (Middy 6.x), so spans recorded in the handler lack the ' +
      'invocation attributes. Register it first: middy(handler).use(bentoMiddleware()).use(...).',
  );
}

/**
 * Middy middleware: spans recorded during an invocation carry `faas.invocation_id` and the
 * function's name, ARN and cold start, and are exported before the runtime freezes the process,
 * after success, error, an early response from another middleware, or the end of a streamed
 * body. Register it first so its `after` runs last. Inside `wrapHandler` it defers to it.
 * @example
 * import middy from '@middy/core';
 * import { bentoMiddleware } from '@bentolabs/sdk/middy';
 * export const handler = middy(async (event) => {
 *   trackAi({ event: 'answer', model: 'gpt-4o', provider: 'openai', input: event.body, output: 'hi' });
 *   return { statusCode: 200, body: 'hi' };
 * }).use(bentoMiddleware());
 */
export function bentoMiddleware(options: MiddyOptions = {}): MiddyMiddlewareLike {
  const clean = checkInvocationOptions(options, 'bentoMiddleware()');
  const middleware: MiddyMiddlewareLike = {
    // Synchronous on purpose: `enter()` only reaches the handler from Middy's own execution, and
    // any value returned here would be taken as an early response.
    before(request) {
      safely('bentoMiddleware() before', () => {
        if (request === null || typeof request !== 'object') return;
        // A second bentoMiddleware() in the same chain; a closed one was left by an earlier request
        // (Middy 6.x shares `internal` between requests when `plugin.internal` is set).
        const existing = stateOf(request);
        if (existing && !existing.invocation.closed) return;
        const context = request.context as LambdaContextLike | undefined;
        const invocation = openInvocation({
          ...clean,
          attributes: lambdaAttributes(context),
          deadline: deadlineOf(context),
          entered: true,
        });
        // `undefined`: already inside wrapHandler(), which flushes once for both.
        if (!invocation) return;
        (request.internal as Record<string, State>)[KEY] = { owner: middleware, invocation };
        invocation.enter();
        closeOnShortCircuit(request, invocation);
      });
    },
    // Both must resolve to `undefined`: any other value is an early response to Middy.
    after(request) {
      return safely(
        'bentoMiddleware() after',
        () => {
          const invocation = ownInvocation(request, middleware);
          if (!invocation) return;
          warnIfDetached(invocation);
          if (holdStreamedBody(request, invocation)) return;
          return invocation.close().then(noop);
        },
        () => closeQuietly(request, middleware),
      );
    },
    onError(request) {
      return safely(
        'bentoMiddleware() onError',
        () => {
          const invocation = ownInvocation(request, middleware);
          if (!invocation) return;
          warnIfDetached(invocation);
          invocation.fail(request.error);
          return invocation.close().then(noop);
        },
        () => closeQuietly(request, middleware),
      );
    },
  };
  return middleware;
}
