/**
 * `@bentolabs/sdk/express`: gives every request its own invocation context, and on a serverless
 * runtime (Lambda behind serverless-http or @codegenie/serverless-express, ...) holds the
 * response until its spans are exported. On a long-running server it adds no flush and no
 * latency: spans go out with the normal batches. Express is not imported; its request and
 * response are Node's `IncomingMessage`/`ServerResponse`, which the types below use.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { checkHybridOptions, type InvocationOptions } from '../core/adapter-options.js';
import { openInvocation, type OpenInvocation } from '../core/invocation.js';
import { sharedSymbol } from '../core/global.js';
import { safely } from '../core/safely.js';
import { deadlineOf, lambdaAttributes, type LambdaContextLike } from '../core/lambda-context.js';

/** Options of `bentoMiddleware()`. Every field is optional. */
export interface ExpressOptions extends InvocationOptions {
  /**
   * Hold each response until the spans it recorded are exported. Detected from the variables
   * serverless platforms set (`AWS_LAMBDA_FUNCTION_NAME`, `VERCEL`, `NETLIFY`, `K_SERVICE`,
   * `FUNCTIONS_WORKER_RUNTIME`, ...); `true` forces it, `false` forces long-running behaviour.
   * @default detectServerless() !== undefined
   */
  serverless?: boolean;
}

/** Express's `next`. */
export type NextFunctionLike = (error?: unknown) => void;

// On the request object: per-request state, found again by the error handler.
// `unique symbol` so it can key the request type below; the value is the line's shared symbol.
const STATE: unique symbol = sharedSymbol('express.invocation') as never;

type WithState = IncomingMessage & { [STATE]?: OpenInvocation; apiGateway?: { context?: unknown } };

/** The Lambda context serverless-http (and serverless-express's `eventContext()`) put on `req.apiGateway`. */
function lambdaContextOf(req: WithState): LambdaContextLike | undefined {
  const context = req.apiGateway?.context as Partial<LambdaContextLike> | undefined;
  return context && typeof context.awsRequestId === 'string' ? (context as LambdaContextLike) : undefined;
}

/**
 * Defers `res.end()` until the flush finished. serverless-http and serverless-express resolve the
 * Lambda invocation on the response's `finish`, so Lambda cannot freeze before the spans left.
 */
function holdEnd(res: ServerResponse, invocation: OpenInvocation): void {
  const end = res.end;
  let held = false;
  res.end = function heldEnd(this: ServerResponse, ...args: unknown[]) {
    // Later calls are no-ops, as they are on a response that already ended.
    if (held) return this;
    held = true;
    // One macrotask first: code right after `res.json()` in the same turn may still record spans.
    setImmediate(() => {
      void invocation.close().then(() => {
        try {
          (end as (...a: unknown[]) => unknown).apply(res, args);
        } catch (error) {
          res.destroy(error as Error);
        }
      });
    });
    return this;
  } as ServerResponse['end'];
}

/**
 * Express middleware: one invocation context per request (overlapping requests never share
 * spans). Serverless: the response is held until the request's spans are exported. Long-running:
 * nothing is flushed per request. Register it before the routes; inside `wrapHandler` it defers to it.
 * @example
 * import express from 'express';
 * import { bentoMiddleware, bentoErrorHandler } from '@bentolabs/sdk/express';
 * const app = express();
 * app.use(bentoMiddleware());
 * app.post('/chat', async (req, res) => res.json(await answer(req.body)));
 * app.use(bentoErrorHandler());
 */
export function bentoMiddleware(
  options: ExpressOptions = {},
): (req: IncomingMessage, res: ServerResponse, next: NextFunctionLike) => void {
  // Built once: an object spread per request costs microseconds on the long-running hot path.
  const base = checkHybridOptions(options, 'bentoMiddleware()');
  const serverless = base.flush === true;
  return function bentoMiddleware(req: WithState, res, next) {
    const invocation = safely('bentoMiddleware() (Express)', () => {
      const context = serverless ? lambdaContextOf(req) : undefined;
      const opening = context
        ? { ...base, attributes: lambdaAttributes(context), deadline: deadlineOf(context) }
        : base;
      // `undefined` inside an open invocation (wrapHandler(serverless(app))): that one flushes.
      const opened = openInvocation(opening);
      if (opened) {
        req[STATE] = opened;
        // Long-running: nothing to flush or guard, so nothing to end either (a 'close' listener
        // per request measurably costs latency). Serverless: also end the invocation of a request
        // whose client went away without a response.
        if (serverless) {
          holdEnd(res, opened);
          res.once('close', () => void opened.close());
        }
      }
      return opened;
    });
    // Untracked rather than failed when opening went wrong: the request is the host's.
    if (!invocation) return next();
    invocation.run(next);
  };
}

/**
 * Express error middleware: records the error on the Bento spans the failed request left open
 * (status ERROR and an `exception` event) and ends them, then passes the error on unchanged.
 * Register it after the routes and before your own error handlers.
 * @example
 * app.use(bentoMiddleware());
 * app.get('/chat', chatRoute);
 * app.use(bentoErrorHandler());
 */
export function bentoErrorHandler(): (
  error: unknown,
  req: IncomingMessage,
  res: ServerResponse,
  next: NextFunctionLike,
) => void {
  return function bentoErrorHandler(error: unknown, req: WithState, _res: ServerResponse, next: NextFunctionLike) {
    safely('bentoErrorHandler()', () => req[STATE]?.fail(error));
    next(error);
  };
}
