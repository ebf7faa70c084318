/**
 * `@bentolabs/sdk/cloudflare`: `wrapWorker` makes a Cloudflare Worker's `export default { fetch }`
 * deliver what each request recorded without delaying its response: the request's spans are
 * exported through `ctx.waitUntil` once the response body has been sent, because a Worker's
 * isolate may be suspended as soon as nothing is waited for. Options come from the Worker's
 * environment bindings (`BENTOLABS_API_KEY`, ...) when `init()` was not called.
 */
import { init, peekClient } from '../core/client.js';
import type { BentoOptions } from '../core/config.js';
import { checkInvocationOptions, type InvocationOptions } from '../core/adapter-options.js';
import { openInvocation, type OpenInvocation } from '../core/invocation.js';
import { log, logOnce } from '../core/logger.js';
import { webBodyEndingAfterOnce } from '../core/web-body.js';

/** Options of `wrapWorker()`. Every field is optional. */
export interface WorkerOptions extends InvocationOptions {
  /**
   * SDK options, or a function of the Worker's `env` returning them, used for `init()` on the
   * first request unless the SDK already runs.
   * @default the bindings BENTOLABS_API_KEY, BENTOLABS_BASE_URL, BENTOLABS_PROTOCOL, BENTOLABS_LOG_LEVEL, BENTOLABS_ENABLED
   */
  init?: BentoOptions | ((env: unknown) => BentoOptions);
}

/** The `ctx` of a Worker handler, declared structurally so no Workers types are needed. */
export interface ExecutionContextLike {
  waitUntil(promise: Promise<unknown>): void;
}

type Handler = (input: unknown, env: unknown, ctx: ExecutionContextLike) => unknown;
const HANDLERS = ['fetch', 'scheduled', 'queue', 'email', 'tail'] as const;

/** Options from string bindings, as `process.env` would give them on Node.js. */
function optionsFromBindings(env: unknown): BentoOptions {
  const bindings = (env ?? {}) as Record<string, unknown>;
  const text = (name: string) => (typeof bindings[name] === 'string' ? (bindings[name] as string) : undefined);
  const enabled = text('BENTOLABS_ENABLED')?.toLowerCase();
  return {
    ...(text('BENTOLABS_API_KEY') !== undefined && { apiKey: text('BENTOLABS_API_KEY') }),
    ...(text('BENTOLABS_BASE_URL') !== undefined && { baseUrl: text('BENTOLABS_BASE_URL') }),
    ...(text('BENTOLABS_PROTOCOL') !== undefined && {
      protocol: text('BENTOLABS_PROTOCOL') as BentoOptions['protocol'],
    }),
    ...(text('BENTOLABS_LOG_LEVEL') !== undefined && {
      logLevel: text('BENTOLABS_LOG_LEVEL') as BentoOptions['logLevel'],
    }),
    ...(enabled !== undefined && { enabled: !['false', '0', 'no', 'off'].includes(enabled) }),
  };
}

/** Starts the SDK on the first request; a configuration error is logged once, never thrown into it. */
function ensureStarted(options: WorkerOptions['init'], env: unknown): void {
  if (peekClient()) return;
  try {
    init(typeof options === 'function' ? options(env) : (options ?? optionsFromBindings(env)));
  } catch (error) {
    // Never thrown into the request; said once, with the real cause (a bad binding, a missing flag).
    logOnce(
      'warn',
      'wrapWorker:init',
      `wrapWorker(): not initialised, so nothing is recorded: ${(error as Error).message}`,
    );
  }
}

/** `ctx.waitUntil`, else the `waitUntil` of `cloudflare:workers` (a handler called without `ctx`). */
async function waitUntilOf(
  ctx: ExecutionContextLike | undefined,
): Promise<((p: Promise<unknown>) => void) | undefined> {
  if (typeof ctx?.waitUntil === 'function') return (p) => ctx.waitUntil(p);
  try {
    // Workers-only; elsewhere the import fails and the caller flushes before answering.
    const workers = (await import('cloudflare:workers')) as { waitUntil?: (p: Promise<unknown>) => void };
    return typeof workers.waitUntil === 'function' ? workers.waitUntil : undefined;
  } catch {
    return undefined;
  }
}

/** Closes the invocation after `result` (a `Response` once its body was sent) through `waitUntil`. */
async function deliver(invocation: OpenInvocation, result: unknown, ctx: ExecutionContextLike | undefined) {
  const close = () => invocation.close();
  const waitUntil = await waitUntilOf(ctx);
  if (!waitUntil) {
    // Nothing can outlive the response (a handler called without `ctx`): it completes after the flush.
    if (!(result instanceof Response) || result.body === null) {
      await close();
      return result;
    }
    const held = webBodyEndingAfterOnce(result.body, close) as ReadableStream;
    return new Response(held, { status: result.status, statusText: result.statusText, headers: result.headers });
  }
  if (!(result instanceof Response) || result.body === null) {
    waitUntil(close());
    return result;
  }
  let ended!: () => void;
  const bodyEnded = new Promise<void>((resolve) => (ended = resolve));
  const body = webBodyEndingAfterOnce(result.body, async () => ended()) as ReadableStream;
  waitUntil(bodyEnded.then(close));
  return new Response(body, { status: result.status, statusText: result.statusText, headers: result.headers });
}

/**
 * Wraps a Worker's default export (`fetch`, `scheduled`, `queue`, ...): each call gets its own
 * invocation context, and its spans are exported through `ctx.waitUntil` after the response.
 * The handler's own errors are rethrown unchanged.
 * @example
 * import { trackAi } from '@bentolabs/sdk';
 * import { wrapWorker } from '@bentolabs/sdk/cloudflare';
 * export default wrapWorker({
 *   async fetch(request, env, ctx) {
 *     trackAi({ event: 'answer', model: 'gpt-4o', input: await request.text(), output: 'hi' });
 *     return new Response('hi');
 *   },
 * });
 */
export function wrapWorker<W extends object>(worker: W, options: WorkerOptions = {}): W {
  if (worker === null || typeof worker !== 'object')
    throw new TypeError(
      `wrapWorker() expects the Worker's default export object; got ${worker === null ? 'null' : typeof worker}.`,
    );
  const opening = { ...checkInvocationOptions(options, 'wrapWorker()'), flush: true };
  const initOption = options.init;
  if (initOption !== undefined && (initOption === null || !['object', 'function'].includes(typeof initOption)))
    throw new TypeError(
      `wrapWorker(): \`init\` must be an options object or a function of env; got ${typeof initOption}.`,
    );
  const wrapped: Record<string, unknown> = Object.create(worker);
  for (const name of HANDLERS) {
    const handler = (worker as Record<string, unknown>)[name];
    if (typeof handler !== 'function') continue;
    wrapped[name] = async function (this: unknown, input: unknown, env: unknown, ctx: ExecutionContextLike) {
      let invocation: OpenInvocation | undefined;
      try {
        ensureStarted(initOption, env);
        invocation = openInvocation(opening);
      } catch (error) {
        log.debug(`wrapWorker() could not open an invocation; the request runs untracked: ${String(error)}`);
      }
      const call = () => (handler as Handler).call(this ?? worker, input, env, ctx);
      if (!invocation) return call();
      const opened = invocation;
      let result: unknown;
      try {
        result = await opened.run(call);
      } catch (error) {
        opened.fail(error);
        await deliver(opened, undefined, ctx).catch(() => undefined);
        throw error;
      }
      return deliver(opened, result, ctx).catch(() => result);
    };
  }
  return wrapped as W;
}
