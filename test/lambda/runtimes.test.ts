/**
 * A wrapped handler behaves as the unwrapped one under AWS's runtime interface client on Node 22
 * (aws-lambda-ric 3.x) and Node 24 (4.x): same answer, same error, same handler rules, and only
 * the delivery of spans added. Each handler runs in a real sandbox behind the Runtime API
 * emulator, which freezes it when the runtime (and our extension) are back in `next`.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { InvokeRecord } from '../support/runtime-api/index.js';
import { delivered, MAJORS, names, realRuntime, receiver, sandbox, type Runtime } from './real-runtime.js';

const LONG = 30_000;
/**
 * A function timeout well inside the test's own (30 s): a wrapped answer that waited for the timeout
 * guard then fails an assertion (the guard's warning in the logs), not just the test's clock.
 */
const GUARDED = 8_000;
const GUARD_FIRED = 'Invocation is about to time out';

async function both(rt: Runtime, handler: string, event: unknown = { n: 1 }, timeoutMillis?: number) {
  const rec = await receiver();
  const options = timeoutMillis === undefined ? {} : { timeoutMillis };
  const wrapped = await sandbox(rt, `handlers.${handler}`, rec.url, options);
  const bare = await sandbox(rt, `handlers.${handler}Bare`, rec.url, options);
  const [w, b] = [await wrapped.invoke(event), await bare.invoke(event)];
  return { rec, w, b, logs: wrapped.logs };
}

/** What the caller gets; for an error its type and message (the stack trace differs, of course). */
const answer = (r: InvokeRecord) => {
  if (r.outcome !== 'error') return { outcome: r.outcome, body: r.body, errorType: r.errorType };
  const { errorType, errorMessage } = JSON.parse(r.body ?? '{}') as { errorType?: string; errorMessage?: string };
  return { outcome: r.outcome, errorType, errorMessage, header: r.errorType };
};

describe.each(MAJORS)('Node %i under aws-lambda-ric', (major) => {
  let rt: Runtime;
  beforeAll(() => {
    rt = realRuntime(major);
  }, 900_000);

  it('an async handler answers the same and delivers before the freeze', async () => {
    const { rec, w, b } = await both(rt, 'asyncOk');
    expect(w.outcome).toBe('success');
    expect(JSON.parse(w.body!)).toMatchObject(JSON.parse(b.body!));
    expect(names(delivered(rec, w))).toEqual(['async_ok']);
  });

  it('a synchronous handler that returns nothing answers when the loop drains, not when the timeout guard fires', async () => {
    // 0.1's guard timer held the event loop: the answer came when the guard fired, 500 ms before the deadline.
    const { rec, w, b, logs } = await both(rt, 'syncNothing', { n: 1 }, GUARDED);
    expect(logs).not.toContain(GUARD_FIRED);
    expect(answer(w)).toEqual(answer(b));
    expect(w.body).toBe('null');
    expect(names(delivered(rec, w))).toEqual(['sync_nothing']);
  });

  it('a plain return value is answered (24) or ignored (22) exactly as unwrapped', async () => {
    const { rec, w, b } = await both(rt, 'syncValue');
    expect(answer(w)).toEqual(answer(b));
    expect(w.body).toBe(major === 24 ? '{"plain":true}' : 'null');
    expect(names(delivered(rec, w))).toEqual(['sync_value']);
  });

  it('a promise that never settles ends the invocation as unwrapped, without waiting for the guard', async () => {
    const { w, b, logs } = await both(rt, 'neverSettles', { n: 1 }, GUARDED);
    expect(logs).not.toContain(GUARD_FIRED);
    // 22 answers null when the loop drains; 24 has nothing left to run and exits.
    expect(answer(w)).toEqual(answer(b));
    expect(w.outcome).toBe(major === 22 ? 'success' : 'crash');
  });

  it('errors are reported unchanged, thrown or rejected', async () => {
    for (const handler of ['asyncThrows', 'syncThrows']) {
      const { rec, w, b } = await both(rt, handler);
      expect(w.outcome).toBe('error');
      expect(answer(w)).toEqual(answer(b));
      expect(delivered(rec, w)).toHaveLength(1);
    }
  });

  it('a streamed response is the same and its spans are delivered', async () => {
    const { rec, w, b } = await both(rt, 'streamed');
    expect(w.outcome).toBe('success');
    expect(w.body).toBe(b.body);
    expect(w.body).toContain('hello world');
    expect(names(delivered(rec, w))).toEqual(['streamed']);
  });

  it('the timeout guard still delivers what a timed-out invocation recorded', async () => {
    const rec = await receiver();
    const box = await sandbox(rt, 'handlers.timesOut', rec.url, { timeoutMillis: 1500 });
    const r = await box.invoke({});
    expect(r.outcome).toBe('timeout');
    expect(names(delivered(rec, r))).toEqual(['times_out']);
    // Pins the warning the two tests above look for, so a reworded warning cannot make them vacuous.
    expect(box.logs).toContain(GUARD_FIRED);
  });

  if (major === 22) {
    it('a callback handler answers once the event loop is empty, and the work after the callback is delivered', async () => {
      // 0.1 answered at the callback: the timer's span was recorded after the freeze and lost.
      const { rec, w, b } = await both(rt, 'callbackWaits');
      expect(answer(w)).toEqual(answer(b));
      expect(JSON.parse(w.body!)).toEqual({ via: 'callback' });
      expect(names(delivered(rec, w))).toEqual(['after_callback', 'before_callback']);
    });

    it('callbackWaitsForEmptyEventLoop = false answers at the callback, as unwrapped', async () => {
      const rec = await receiver();
      const box = await sandbox(rt, 'handlers.callbackNoWait', rec.url, { timeoutMillis: LONG * 2 });
      const r = await box.invoke({});
      expect(r.outcome).toBe('success');
      expect(JSON.parse(r.body!)).toEqual({ via: 'callback' });
      expect(names(delivered(rec, r))).toEqual(['callback_no_wait']);
    });

    it('context.succeed answers with its value', async () => {
      const rec = await receiver();
      const box = await sandbox(rt, 'handlers.succeedLater', rec.url);
      const r = await box.invoke({});
      expect(JSON.parse(r.body!)).toEqual({ via: 'succeed' });
      expect(names(delivered(rec, r))).toEqual(['succeed_later']);
    });
  } else {
    it('a callback handler is refused at init exactly as unwrapped (the wrapper keeps its arity)', async () => {
      // 0.1's wrapper had length 0: Node 24 accepted it and silently changed the runtime's rules.
      const { w, b } = await both(rt, 'callbackWaits');
      expect(w.outcome).toBe('init-error');
      expect(w.errorType).toBe('Runtime.CallbackHandlerDeprecated');
      expect(answer(w)).toEqual(answer(b));
    });
  }
});
