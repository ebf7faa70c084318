/**
 * A telemetry endpoint that is down, slow or hanging must never turn into a failed or timed-out
 * invocation: the flush gives up inside the deadline, the handler's own result goes out intact,
 * and the SDK says in the function's log what it could not deliver.
 */
import { describe, expect, test } from 'vitest';
import { deadUrl, lambda, receiver, sdkLines } from './helpers.js';

const ANSWER = { statusCode: 200, body: 'answer to q' };

/** The log line has to say that spans were not delivered, not just anything from the SDK. */
const UNDELIVERED = /flush|deliver|export|pending|dropped/i;

describe.skipIf(process.platform === 'win32')('wrapHandler when the endpoint misbehaves', { timeout: 20_000 }, () => {
  test("nothing listening at the endpoint: success with the handler's result, the loss is logged", async () => {
    const fn = await lambda(await deadUrl(), { module: 'agent.mjs', exportName: 'simpleTurn', timeoutMillis: 3000 });

    const result = await fn.invoke({ q: 'q' });
    expect(result).toMatchObject({ outcome: 'success', result: ANSWER });
    expect(fn.frozen).toBe(true);
    expect(sdkLines(result.logs).some((line) => UNDELIVERED.test(line))).toBe(true);

    // The process is still healthy: the next invocation answers as well.
    expect(await fn.invoke({ q: 'q' })).toMatchObject({ outcome: 'success', result: ANSWER, coldStart: false });
  });

  test('an endpoint that answers after 10 s: the flush gives up before the deadline it derived from the context', async () => {
    const otlp = await receiver();
    otlp.setFault({ kind: 'delay', millis: 10_000 });
    // 1.6 s is less than the default flush timeout (2 s) plus margin, so only the Lambda deadline
    // (getRemainingTimeInMillis) can keep this invocation from timing out.
    const fn = await lambda(otlp.url, { module: 'agent.mjs', exportName: 'simpleTurnWideMargin', timeoutMillis: 1600 });

    const result = await fn.invoke({ q: 'q' });
    expect(result).toMatchObject({ outcome: 'success', result: ANSWER });
    expect(sdkLines(result.logs).some((line) => UNDELIVERED.test(line))).toBe(true);
    // Still waiting on the answer when the process froze, so nothing counts as accepted.
    expect(otlp.spans).toHaveLength(0);
  });

  test("an endpoint that never answers: success with the handler's result, the pending spans are logged", async () => {
    const otlp = await receiver();
    otlp.setFault({ kind: 'hang' });
    const fn = await lambda(otlp.url, { module: 'agent.mjs', exportName: 'simpleTurn', timeoutMillis: 3000 });

    const result = await fn.invoke({ q: 'q' });
    expect(result).toMatchObject({ outcome: 'success', result: ANSWER });
    expect(sdkLines(result.logs).some((line) => UNDELIVERED.test(line))).toBe(true);
    expect(otlp.spans).toHaveLength(0);
  });
});
