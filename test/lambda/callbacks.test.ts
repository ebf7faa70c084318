/**
 * Callback-style handlers through wrapHandler: callback(), context.succeed/done/fail, and a handler
 * that both calls back and returns a promise. The runtime's answer must be the one the unwrapped
 * handler would give, and the spans must be delivered before the freeze in every case.
 */
import { describe, expect, test } from 'vitest';
import { attr, lambda, receiver, spansOf } from './helpers.js';

async function run(exportName: string, event: unknown = {}, timeoutMillis = 3000) {
  const otlp = await receiver();
  const fn = await lambda(otlp.url, { module: 'callbacks.mjs', exportName, timeoutMillis });
  const result = await fn.invoke(event, { requestId: `req-${exportName}` });
  expect(fn.frozen).toBe(true);
  return { result, spans: spansOf(otlp.spans, `req-${exportName}`), all: otlp.spans };
}

/** Each fixture records a trajectory `turn_<via>` holding one `llm_call` whose output is `<via>`. */
function expectTurnDelivered(spans: Awaited<ReturnType<typeof run>>['spans'], via: string): void {
  expect(spans.map((s) => s.name).sort()).toEqual(['llm_call', `turn_${via}`]);
  const turn = spans.find((s) => s.name === `turn_${via}`)!;
  const llm = spans.find((s) => s.name === 'llm_call')!;
  expect(llm.parentSpanId).toBe(turn.spanId);
  expect(attr(llm, 'output.value')).toBe(via);
}

describe.skipIf(process.platform === 'win32')('wrapHandler with callback-style handlers', { timeout: 20_000 }, () => {
  test('callback(null, result) answers the result; spans delivered', async () => {
    const { result, spans } = await run('viaCallback', { n: 1 });
    expect(result).toMatchObject({ outcome: 'success', result: { via: 'callback', event: { n: 1 } } });
    expectTurnDelivered(spans, 'callback');
  });

  test('callback(error) fails the invocation with that error; spans delivered', async () => {
    const { result, spans } = await run('viaCallbackError');
    expect(result).toMatchObject({ outcome: 'error', error: { name: 'RangeError', message: 'callback failed' } });
    expect(result.error?.stack).toContain('callbacks.mjs');
    expectTurnDelivered(spans, 'callback_error');
  });

  test('context.succeed() called later by a two-parameter handler answers its result', async () => {
    // The handler returns undefined at once; the answer comes 20 ms later through the context.
    const { result, spans } = await run('viaSucceedLater');
    expect(result).toMatchObject({ outcome: 'success', result: { via: 'succeed' } });
    expectTurnDelivered(spans, 'succeed');
  });

  test('context.done(null, result) answers the result', async () => {
    const { result, spans } = await run('viaDone');
    expect(result).toMatchObject({ outcome: 'success', result: { via: 'done' } });
    expectTurnDelivered(spans, 'done');
  });

  test('context.fail(error) fails the invocation with that error', async () => {
    const { result, spans } = await run('viaFail');
    expect(result).toMatchObject({ outcome: 'error', error: { name: 'TypeError', message: 'failed via context' } });
    expectTurnDelivered(spans, 'fail');
  });

  test('a callback before the returned promise settles wins', async () => {
    const { result, spans } = await run('callbackBeatsPromise');
    expect(result).toMatchObject({ outcome: 'success', result: 'from-callback' });
    expectTurnDelivered(spans, 'callback_first');
  });

  test('a returned promise that settles before the callback wins', async () => {
    const { result, spans } = await run('promiseBeatsCallback');
    expect(result).toMatchObject({ outcome: 'success', result: 'from-promise' });
    expectTurnDelivered(spans, 'promise_first');
  });

  test('a handler that never answers gets null once the event loop drains, as unwrapped (not Runtime.NodeJsExit)', async () => {
    const { result, spans } = await run('neverAnswers', {}, 1500);
    expect(result).toMatchObject({ outcome: 'success', result: null });
    // Delivered by the timeout guard's flush, which keeps the loop busy until then.
    expectTurnDelivered(spans, 'never');
  });

  test('the handler sees the runtime context with its own fields (spread, JSON) and methods', async () => {
    const { result } = await run('contextShape');
    expect(result).toMatchObject({
      outcome: 'success',
      result: {
        spreadRequestId: 'req-contextShape',
        jsonRequestId: 'req-contextShape',
        remaining: 'number',
        waits: true,
      },
    });
  });
});
