/**
 * Callback-style handlers through wrapHandler, under AWS's runtime interface client 3.x on Node 22
 * (the only Lambda runtime that still calls back): callback(), context.succeed/done/fail, and a
 * handler that both calls back and returns a promise. The runtime's answer must be the one the
 * unwrapped handler would give, and the spans must be delivered before the freeze in every case.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import type { InvokeRecord } from '../support/runtime-api/index.js';
import { attr, FIXTURES, spansOf } from './helpers.js';
import { delivered, realRuntime, receiver, sandbox, type Runtime } from './real-runtime.js';

let rt: Runtime;

async function run(exportName: string, event: unknown = {}, timeoutMillis = 3000) {
  const otlp = await receiver();
  const fn = await sandbox(rt, `callbacks.${exportName}`, otlp.url, { taskRoot: FIXTURES, timeoutMillis });
  const record = await fn.invoke(event);
  const spans = delivered(otlp, record);
  expect(spans).toEqual(spansOf(otlp.spans, record.requestId));
  return { result: answerOf(record), spans };
}

/** The runtime's answer: the posted result, or Lambda's error document. */
function answerOf(record: InvokeRecord) {
  const body = record.body === undefined ? undefined : (JSON.parse(record.body) as unknown);
  return record.outcome === 'error'
    ? { outcome: record.outcome, error: body as { errorType: string; errorMessage: string } }
    : { outcome: record.outcome, result: body };
}

/** Each fixture records a trajectory `turn_<via>` holding one `llm_call` whose output is `<via>`. */
function expectTurnDelivered(spans: Awaited<ReturnType<typeof run>>['spans'], via: string): void {
  expect(spans.map((s) => s.name).sort()).toEqual(['llm_call', `turn_${via}`]);
  const turn = spans.find((s) => s.name === `turn_${via}`)!;
  const llm = spans.find((s) => s.name === 'llm_call')!;
  expect(llm.parentSpanId).toBe(turn.spanId);
  expect(attr(llm, 'output.value')).toBe(via);
}

describe('wrapHandler with callback-style handlers (Node 22, aws-lambda-ric 3.x)', { timeout: 20_000 }, () => {
  beforeAll(() => {
    rt = realRuntime(22);
  }, 900_000);

  test('callback(null, result) answers the result; spans delivered', async () => {
    const { result, spans } = await run('viaCallback', { n: 1 });
    expect(result).toMatchObject({ outcome: 'success', result: { via: 'callback', event: { n: 1 } } });
    expectTurnDelivered(spans, 'callback');
  });

  test('callback(error) fails the invocation with that error; spans delivered', async () => {
    const { result, spans } = await run('viaCallbackError');
    expect(result).toMatchObject({
      outcome: 'error',
      error: { errorType: 'RangeError', errorMessage: 'callback failed' },
    });
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
    expect(result).toMatchObject({
      outcome: 'error',
      error: { errorType: 'TypeError', errorMessage: 'failed via context' },
    });
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
    // A long timeout: 0.1's guard timer held the loop, so the answer only came at the guard.
    const { result, spans } = await run('neverAnswers', {}, 60_000);
    expect(result).toMatchObject({ outcome: 'success', result: null });
    expectTurnDelivered(spans, 'never');
  });

  test('the handler sees the runtime context with its own fields (spread, JSON) and methods', async () => {
    const { result } = await run('contextShape');
    expect(result).toMatchObject({
      outcome: 'success',
      result: {
        spreadRequestId: expect.any(String),
        jsonRequestId: expect.any(String),
        remaining: 'number',
        waits: true,
      },
    });
  });
});
