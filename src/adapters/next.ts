/**
 * `@bentolabs/sdk/next`: `wrapRouteHandler` gives an App Router route handler its own invocation
 * context and delivers what it recorded, without delaying the response where the platform allows:
 * through Next's `after()` (15.1+), else the platform's `waitUntil`, else by flushing before the
 * response is complete. `next/server` is loaded lazily, so this entry works where `next` is absent.
 */
import { checkHybridOptions, type InvocationOptions } from '../core/adapter-options.js';
import { openInvocation, type OpenInvocation } from '../core/invocation.js';
// Web streams only: `node:stream` does not exist on edge routes.
import { webBodyEndingAfterOnce as bodyEndingAfter } from '../core/web-body.js';
import { safely } from '../core/safely.js';

/** Options of `wrapRouteHandler()`. Every field is optional. */
export interface NextOptions extends InvocationOptions {
  /**
   * Deliver each request's spans (through `after()`/`waitUntil`, else before the response
   * completes). `false` (e.g. `next start` on a server that wants batching only) leaves delivery
   * to the normal batches.
   * @default true
   */
  serverless?: boolean;
}

/** An App Router route handler: `(request, { params }) => Response`. */
export type RouteHandlerLike = (...args: never[]) => Response | Promise<Response>;

type After = (task: () => unknown) => void;
type WaitUntil = (promise: Promise<unknown>) => void;

// A cache of the optional module, not per-request state.
let afterLoaded: Promise<After | undefined> | undefined;

/** `after` (15.1+) or `unstable_after` (15.0); `undefined` when `next` is absent or older. */
function loadAfter(): Promise<After | undefined> {
  // `next/server.js`: `next` has no `exports` map, so Node's ESM resolver needs the file name.
  return (afterLoaded ??= import('next/server.js').then(
    (mod: Record<string, unknown>) => {
      // CommonJS `next/server` may only show its exports on `default` when imported from ESM.
      const api = (typeof mod.after === 'function' || typeof mod.unstable_after === 'function' ? mod : mod.default) as
        | Record<string, unknown>
        | undefined;
      const after = api?.after ?? api?.unstable_after;
      return typeof after === 'function' ? (after as After) : undefined;
    },
    () => undefined,
  ));
}

/** The platform's `waitUntil`: Next's request context (self-hosted and Vercel), then Vercel's own. */
function platformWaitUntil(): WaitUntil | undefined {
  const holder = globalThis as unknown as Record<
    symbol,
    { get?: () => { waitUntil?: unknown } | undefined } | undefined
  >;
  for (const key of ['@next/request-context', '@vercel/request-context']) {
    const waitUntil = holder[Symbol.for(key)]?.get?.()?.waitUntil;
    if (typeof waitUntil === 'function') return waitUntil as WaitUntil;
  }
  return undefined;
}

// redirect(), notFound(), forbidden()... and dynamic-rendering bailouts throw these on purpose.
const CONTROL_FLOW = [
  'NEXT_REDIRECT',
  'NEXT_NOT_FOUND',
  'NEXT_HTTP_ERROR_FALLBACK',
  'DYNAMIC_SERVER_USAGE',
  'BAILOUT_TO_CLIENT_SIDE_RENDERING',
];

function isControlFlow(error: unknown): boolean {
  const digest = (error as { digest?: unknown } | null)?.digest;
  return typeof digest === 'string' && CONTROL_FLOW.some((prefix) => digest.startsWith(prefix));
}

/** Same status and headers, with a body that reports its end to `onEnd`. */
function withBody(response: unknown, onEnd: () => Promise<unknown>): unknown {
  if (!(response instanceof Response) || response.body === null) return response;
  const body = bodyEndingAfter(response.body, onEnd);
  return body
    ? new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers })
    : response;
}

/** Ends the invocation once the response has been sent, in the cheapest way the platform allows. */
async function deliver(invocation: OpenInvocation, response: unknown): Promise<unknown> {
  const close = () => invocation.close();
  const after = await loadAfter();
  try {
    // Next runs `after` tasks once the response, streamed body included, has been sent.
    if (after) {
      after(close);
      return response;
    }
  } catch {
    // Outside a request scope (a test, a custom server): use what the platform offers instead.
  }
  const waitUntil = platformWaitUntil();
  if (waitUntil) {
    let ended!: () => void;
    const bodyEnded = new Promise<void>((resolve) => (ended = resolve));
    const wrapped = withBody(response, async () => ended());
    if (wrapped === response) ended();
    waitUntil(bodyEnded.then(close));
    return wrapped;
  }
  // Nothing keeps the function alive after the response: it completes only after the flush.
  const wrapped = withBody(response, close);
  if (wrapped === response) await close();
  return wrapped;
}

/**
 * Wraps an App Router route handler. Spans it records are delivered after the response through
 * `after()`/`waitUntil` where the platform has them, else before the response completes; with
 * `serverless: false` they go out with the normal batches. The handler's errors are rethrown
 * unchanged; `redirect()`/`notFound()` pass through and are not recorded as errors.
 * @example
 * import { wrapRouteHandler } from '@bentolabs/sdk/next';
 * export const POST = wrapRouteHandler(async (request: Request) => {
 *   const { prompt } = await request.json();
 *   return Response.json(await begin({ event: 'chat_turn' }, () => answer(prompt)));
 * });
 */
export function wrapRouteHandler<H extends RouteHandlerLike>(
  handler: H,
  options: NextOptions = {},
): (...args: Parameters<H>) => Promise<Awaited<ReturnType<H>>> {
  if (typeof handler !== 'function')
    throw new TypeError(
      `wrapRouteHandler() expects a route handler function; got ${handler === null ? 'null' : typeof handler}.`,
    );
  // SPEC §8: `after()`/`waitUntil` where the platform has them (no added latency, on a server too),
  // else the flush before the response completes. Only an explicit `serverless: false` keeps a
  // route to the normal batches.
  const opening = checkHybridOptions(options, 'wrapRouteHandler()', () => true);
  const serverless = opening.flush === true;
  const call = handler as unknown as (...args: unknown[]) => unknown;
  return async function (this: unknown, ...args: Parameters<H>): Promise<Awaited<ReturnType<H>>> {
    const invocation = safely('wrapRouteHandler() opening the invocation', () => openInvocation(opening));
    // `undefined` when already inside an invocation, which then delivers for both.
    if (!invocation) return call.apply(this, args) as Awaited<ReturnType<H>>;
    const opened = invocation;
    let response: unknown;
    try {
      response = await opened.run(() => call.apply(this, args));
    } catch (error) {
      // Ours may fail too; the handler's own error is what the caller gets, unchanged.
      await safely('wrapRouteHandler() after an error', async () => {
        if (!isControlFlow(error)) opened.fail(error);
        if (serverless) await deliver(opened, undefined);
        else void opened.close();
      });
      throw error;
    }
    if (!serverless) {
      void opened.close();
      return response as Awaited<ReturnType<H>>;
    }
    const delivered = await safely(
      'wrapRouteHandler() delivery',
      () => deliver(opened, response),
      () => opened.close().then(() => response),
    );
    return (delivered ?? response) as Awaited<ReturnType<H>>;
  };
}
