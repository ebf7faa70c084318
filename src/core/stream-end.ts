/**
 * Holding a streamed response body open until the flush is done, for adapters whose response is
 * still being produced after the handler returned (Lambda response streaming through Middy, a
 * streamed `Response` from a Next route).
 */
import { pipeline, Transform, type Readable } from 'node:stream';
import { isWebStream, webBodyEndingAfter } from './web-body.js';

// Duck-typed like Middy's own check, so `readable-stream` copies and other realms count too.
const isNodeStream = (v: unknown): v is Readable =>
  v !== null && typeof v === 'object' && '_readableState' in v && typeof (v as { pipe?: unknown }).pipe === 'function';

/**
 * For a response whose body is still being produced after the handler returned (Lambda response
 * streaming, a streamed `Response`): a copy of `body` that reports its end, abort or failure to
 * `onEnd` and ends only once the promise `onEnd` returns settled, so a runtime cannot consider
 * the response complete (and freeze) before the flush. `undefined` when `body` is not a stream.
 */
export function bodyEndingAfter<B>(body: B, onEnd: () => Promise<unknown>): B | undefined {
  let ended: Promise<unknown> | undefined;
  const end = () => (ended ??= onEnd().catch(() => undefined));
  if (isNodeStream(body)) {
    const mode = body.readableObjectMode;
    const held = new Transform({
      readableObjectMode: mode,
      writableObjectMode: mode,
      transform: (chunk, _encoding, done) => done(null, chunk),
      flush: (done) => void end().then(() => done()),
    });
    pipeline(body, held, (error) => {
      if (error) void end();
    });
    return held as B;
  }
  if (isWebStream(body)) return webBodyEndingAfter(body, end) as B;
  return undefined;
}
