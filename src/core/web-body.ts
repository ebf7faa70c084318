/**
 * The Web-streams half of `stream-end.ts`, in a module of its own so that the Next adapter on an
 * edge route (where `node:stream` does not exist) never imports `node:stream`.
 */

export const isWebStream = (v: unknown): v is ReadableStream<unknown> =>
  typeof ReadableStream !== 'undefined' && v instanceof ReadableStream;

/**
 * A copy of the Web stream `body` that calls `end` when it is consumed, cancelled or fails, and
 * ends only once the promise `end` returns settled (see `bodyEndingAfter`).
 */
export function webBodyEndingAfter(
  body: ReadableStream<unknown>,
  end: () => Promise<unknown>,
): ReadableStream<unknown> {
  const reader = body.getReader();
  // A pull-based copy rather than a TransformStream: Node 20's transformers get no cancel hook.
  return new ReadableStream<unknown>({
    async pull(controller) {
      let chunk: ReadableStreamReadResult<unknown>;
      try {
        chunk = await reader.read();
      } catch (error) {
        await end();
        controller.error(error);
        return;
      }
      if (!chunk.done) return controller.enqueue(chunk.value);
      await end();
      controller.close();
    },
    cancel(reason) {
      void end();
      return reader.cancel(reason);
    },
  });
}

/** `bodyEndingAfter` for Web streams only: `undefined` when `body` is not a `ReadableStream`. */
export function webBodyEndingAfterOnce<B>(body: B, onEnd: () => Promise<unknown>): B | undefined {
  if (!isWebStream(body)) return undefined;
  let ended: Promise<unknown> | undefined;
  return webBodyEndingAfter(body, () => (ended ??= onEnd().catch(() => undefined))) as B;
}
