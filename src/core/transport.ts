/**
 * POSTs one serialized OTLP request, retrying what is worth retrying (429, 502, 503, 504 and
 * network errors) with jittered exponential backoff, honouring `Retry-After`, and never past
 * the deadline. We own this instead of using the OTLP exporter's transport for three reasons:
 * that transport merges `OTEL_EXPORTER_OTLP_*` variables meant for the host's collector into
 * our requests (a host's auth header would travel to BentoLabs), it hides the HTTP status of a
 * retried failure (which `status()` must show), and its first backoff of ~1 s is too long for a
 * Lambda flush budget.
 */
import * as http from 'node:http';
import * as https from 'node:https';

export interface SendOutcome {
  ok: boolean;
  /** HTTP status of the last attempt, if one answered. */
  status?: number;
  /** Error of the last attempt (network error, timeout, or the response body for 4xx). */
  error?: string;
  attempts: number;
  /** The response body of a successful request (an OTLP ExportTraceServiceResponse). */
  body?: Buffer;
}

const RETRYABLE_STATUS = new Set([429, 502, 503, 504]);
const INITIAL_BACKOFF_MILLIS = 100;
const MAX_BACKOFF_MILLIS = 2000;
const MAX_ATTEMPTS = 6;
const MAX_RESPONSE_BYTES = 64 * 1024;

// keepAlive saves a TCP (and TLS) handshake per request; Node unrefs idle pooled sockets, so the
// pool never keeps a process alive.
const agents = {
  'http:': new http.Agent({ keepAlive: true, maxSockets: 8 }),
  'https:': new https.Agent({ keepAlive: true, maxSockets: 8 }),
};

interface Attempt {
  status?: number;
  retryAfterMillis?: number;
  error?: string;
  body?: Buffer;
}

function parseRetryAfter(value: string | string[] | undefined): number | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (!raw) return undefined;
  const seconds = Number(raw);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(raw);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

function postOnce(
  url: URL,
  body: Uint8Array,
  headers: Record<string, string>,
  timeoutMillis: number,
  hold: boolean,
): Promise<Attempt> {
  return new Promise((resolve) => {
    const lib = url.protocol === 'https:' ? https : http;
    let settled = false;
    const done = (a: Attempt) => {
      if (!settled) {
        settled = true;
        resolve(a);
      }
    };
    const req = lib.request(
      url,
      {
        method: 'POST',
        headers: { ...headers, 'Content-Length': String(body.byteLength) },
        agent: agents[url.protocol as 'http:' | 'https:'],
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size <= MAX_RESPONSE_BYTES) chunks.push(c);
        });
        res.on('error', (e) => done({ status: res.statusCode, error: e.message }));
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          const text = Buffer.concat(chunks);
          if (status >= 200 && status < 300) done({ status, body: text });
          else
            done({
              status,
              retryAfterMillis: parseRetryAfter(res.headers['retry-after']),
              error: `HTTP ${status}${text.length ? `: ${text.toString('utf8', 0, Math.min(text.length, 300))}` : ''}`,
            });
        });
      },
    );
    req.setTimeout(Math.max(1, timeoutMillis), () => {
      req.destroy();
      done({ error: `request timed out after ${timeoutMillis} ms` });
    });
    // Unref'd for the SDK's own processor: whoever needs its exports delivered waits in flush(),
    // whose timer is ref'd and bounded (at exit by exitFlushTimeoutMillis), so a script still
    // delivers at exit, and an endpoint that is down cannot delay the exit further.
    if (!hold) req.on('socket', (s) => s.unref());
    req.on('error', (e: NodeJS.ErrnoException) => done({ error: e.code ? `${e.code}: ${e.message}` : e.message }));
    req.end(body);
  });
}

// Held or not like the request sockets (see postOnce).
const sleep = (ms: number, hold: boolean) =>
  new Promise<void>((r) => {
    const timer = setTimeout(r, ms);
    if (!hold) timer.unref();
  });

/** Sends `body`, retrying until it succeeds, fails for good, or `deadline` (epoch ms) passes. */
export async function sendWithRetry(
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
    const remaining = deadline - Date.now();
    if (remaining <= 0)
      return { ok: false, status: last.status, error: last.error ?? 'export deadline passed', attempts: attempt - 1 };
    last = await postOnce(url, body, headers, remaining, hold);
    if (last.status !== undefined && last.status >= 200 && last.status < 300)
      return { ok: true, status: last.status, attempts: attempt, body: last.body };
    onAttemptFailed?.(last.error ?? `HTTP ${last.status}`);
    const retryable = last.status === undefined || RETRYABLE_STATUS.has(last.status);
    if (!retryable) return { ok: false, status: last.status, error: last.error, attempts: attempt };
    const jittered = backoff * (0.8 + Math.random() * 0.4);
    const wait = last.retryAfterMillis ?? jittered;
    backoff = Math.min(backoff * 2, MAX_BACKOFF_MILLIS);
    if (Date.now() + wait >= deadline) {
      const why =
        last.retryAfterMillis !== undefined ? ` (Retry-After ${Math.round(wait)} ms is past the export deadline)` : '';
      return { ok: false, status: last.status, error: `${last.error ?? 'failed'}${why}`, attempts: attempt };
    }
    await sleep(wait, hold);
  }
  return { ok: false, status: last.status, error: last.error, attempts: MAX_ATTEMPTS };
}
