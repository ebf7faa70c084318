/**
 * POSTs one serialized OTLP request, retrying what is worth retrying (429, 502, 503, 504 and
 * network errors) with jittered exponential backoff, honouring `Retry-After`, and never past
 * the deadline. We own this instead of using the OTLP exporter's transport for three reasons:
 * that transport merges `OTEL_EXPORTER_OTLP_*` variables meant for the host's collector into
 * our requests (a host's auth header would travel to BentoLabs), it hides the HTTP status of a
 * retried failure (which `status()` must show), and its first backoff of ~1 s is too long for a
 * Lambda flush budget.
 *
 * The semantics live here once; the one HTTP request is the platform's: `node:http` on Node.js
 * (`transport-node.ts`), `fetch` on Workers, Vercel Edge, Deno and Bun (`transport-fetch.ts`).
 * `#transport` is a package.json `imports` entry whose export conditions pick the file, so an edge
 * bundle never contains `node:http` and every entry point (core, adapters, integrations) shares it.
 */
import { postOnce } from '#transport';
import { epochNow, realSetTimeout, unref } from './timers.js';
import type { PostOnce, RawAnswer } from './transport-types.js';

export type { PostOnce, RawAnswer } from './transport-types.js';

export interface SendOutcome {
  ok: boolean;
  /** HTTP status of the last attempt, if one answered. */
  status?: number;
  /** Error of the last attempt (network error, timeout, or the response body for 4xx). */
  error?: string;
  attempts: number;
  /** The response body of a successful request (an OTLP ExportTraceServiceResponse). */
  body?: Uint8Array;
}

const RETRYABLE_STATUS = new Set([429, 502, 503, 504]);
const INITIAL_BACKOFF_MILLIS = 100;
const MAX_BACKOFF_MILLIS = 2000;
const MAX_ATTEMPTS = 6;
const ERROR_BODY_CHARS = 300;

interface Attempt {
  status?: number;
  retryAfterMillis?: number;
  error?: string;
  body?: Uint8Array;
}

export function parseRetryAfter(raw: string | undefined): number | undefined {
  if (!raw) return undefined;
  const seconds = Number(raw);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(raw);
  return Number.isNaN(date) ? undefined : Math.max(0, date - epochNow());
}

function toAttempt(answer: RawAnswer): Attempt {
  if ('error' in answer) return { error: answer.error };
  const { status, body } = answer;
  if (status >= 200 && status < 300) return { status, body };
  const text = body.length
    ? `: ${new TextDecoder().decode(body.subarray(0, ERROR_BODY_CHARS * 4)).slice(0, ERROR_BODY_CHARS)}`
    : '';
  return { status, retryAfterMillis: parseRetryAfter(answer.retryAfter), error: `HTTP ${status}${text}` };
}

// Held or not like the request sockets (see the `hold` parameter). A real timer (timers.ts): under a
// test's fake timers a faked backoff never ended.
const sleep = (ms: number, hold: boolean) =>
  new Promise<void>((r) => {
    const timer = realSetTimeout(r, ms);
    if (!hold) unref(timer);
  });

/** `sendWithRetry` over a given single-request function (both transports are tested through this). */
export function createSender(post: PostOnce) {
  /** Sends `body`, retrying until it succeeds, fails for good, or `deadline` (epoch ms) passes. */
  return async function send(
    target: string,
    body: Uint8Array,
    headers: Record<string, string>,
    deadline: number,
    /** Told about each failed attempt as it happens, so diagnostics need not wait for the last retry. */
    onAttemptFailed?: (error: string) => void,
    /** Keep the process alive until done (within `deadline`); `false` when a flush() does that instead. */
    hold = true,
  ): Promise<SendOutcome> {
    const url = new URL(target);
    let backoff = INITIAL_BACKOFF_MILLIS;
    let last: Attempt = {};
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const remaining = deadline - epochNow();
      if (remaining <= 0)
        return { ok: false, status: last.status, error: last.error ?? 'export deadline passed', attempts: attempt - 1 };
      last = toAttempt(await post(url, body, headers, remaining, hold));
      if (last.status !== undefined && last.status >= 200 && last.status < 300)
        return { ok: true, status: last.status, attempts: attempt, body: last.body };
      onAttemptFailed?.(last.error ?? `HTTP ${last.status}`);
      const retryable = last.status === undefined || RETRYABLE_STATUS.has(last.status);
      if (!retryable) return { ok: false, status: last.status, error: last.error, attempts: attempt };
      const jittered = backoff * (0.8 + Math.random() * 0.4);
      const wait = last.retryAfterMillis ?? jittered;
      backoff = Math.min(backoff * 2, MAX_BACKOFF_MILLIS);
      if (epochNow() + wait >= deadline) {
        const why =
          last.retryAfterMillis !== undefined
            ? ` (Retry-After ${Math.round(wait)} ms is past the export deadline)`
            : '';
        return { ok: false, status: last.status, error: `${last.error ?? 'failed'}${why}`, attempts: attempt };
      }
      await sleep(wait, hold);
    }
    return { ok: false, status: last.status, error: last.error, attempts: MAX_ATTEMPTS };
  };
}

/** Sends `body` with this platform's transport; see `createSender`. */
export const sendWithRetry = createSender(postOnce);
