/**
 * One OTLP POST through the platform's `fetch`: the transport of Cloudflare Workers, Vercel Edge
 * (Next `runtime = 'edge'`), Deno and Bun, picked by the `#transport` export conditions
 * (`workerd`, `edge-light`, `worker`, `deno`, `bun`). Same answer shape as `transport-node.ts`,
 * so retries, `Retry-After`, deadlines and the 415/413 handling above it are shared.
 */
import { MAX_RESPONSE_BYTES, type PostOnce, type RawAnswer } from './transport-types.js';
import { realClearTimeout, realSetTimeout } from './timers.js';

/** `undici` and Deno put the socket error (`ECONNREFUSED`, ...) on `cause`; say that, not "fetch failed". */
function describe(error: unknown): string {
  const e = error as { message?: unknown; cause?: { code?: unknown; message?: unknown } } | null;
  const cause = e?.cause;
  if (cause && typeof cause.code === 'string') return `${cause.code}: ${String(cause.message ?? e?.message)}`;
  if (cause && typeof cause.message === 'string') return `${String(e?.message)}: ${cause.message}`;
  return String(e?.message ?? error);
}

/** The body up to `MAX_RESPONSE_BYTES`; the rest is cancelled, not buffered. */
async function readCapped(response: Response): Promise<Uint8Array> {
  if (!response.body) return new Uint8Array(0);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.byteLength;
    if (size >= MAX_RESPONSE_BYTES) {
      void reader.cancel().catch(() => undefined);
      break;
    }
  }
  const out = new Uint8Array(Math.min(size, MAX_RESPONSE_BYTES));
  let at = 0;
  for (const c of chunks) {
    const part = c.subarray(0, out.byteLength - at);
    out.set(part, at);
    at += part.byteLength;
    if (at >= out.byteLength) break;
  }
  return out;
}

export const postOnce: PostOnce = async (url, body, headers, timeoutMillis) => {
  const controller = new AbortController();
  let timedOut = false;
  // The timer covers the response body too; cleared as soon as we are done, so it never holds a
  // Deno or Bun process open (and needs no `unref`, which Workers' timers do not have).
  const timer = realSetTimeout(
    () => {
      timedOut = true;
      controller.abort();
    },
    Math.max(1, timeoutMillis),
  );
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers,
      // The DOM typings want an ArrayBuffer-backed view; every platform accepts any Uint8Array.
      body: body as Uint8Array<ArrayBuffer>,
      signal: controller.signal,
      // As `node:http`: a redirect is an answer (and the Authorization header never follows it).
      redirect: 'manual',
    });
    const answer: RawAnswer = {
      status: response.status,
      retryAfter: response.headers.get('retry-after') ?? undefined,
      body: await readCapped(response),
    };
    return answer;
  } catch (error) {
    return { error: timedOut ? `request timed out after ${timeoutMillis} ms` : describe(error) };
  } finally {
    realClearTimeout(timer);
  }
};
