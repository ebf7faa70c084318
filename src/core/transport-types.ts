/** The contract between the shared retry logic (`transport.ts`) and a platform's single HTTP request. */

/** What one request got: an HTTP answer (any status), or why none came. */
export type RawAnswer =
  | {
      status: number;
      /** The `Retry-After` header, as sent. */
      retryAfter: string | undefined;
      /** The response body, cut at `MAX_RESPONSE_BYTES`. */
      body: Uint8Array;
    }
  | { error: string };

/** One POST; resolves (never rejects) within `timeoutMillis`. */
export type PostOnce = (
  url: URL,
  body: Uint8Array,
  headers: Record<string, string>,
  timeoutMillis: number,
  /** `false`: the request must not keep a Node.js process alive (a flush() holds it instead). */
  hold: boolean,
) => Promise<RawAnswer>;

/** An OTLP response is a few bytes; an error page is cut here (it only feeds a log line). */
export const MAX_RESPONSE_BYTES = 64 * 1024;
