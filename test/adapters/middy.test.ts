/**
 * `@bentolabs/sdk/middy` through real `middy()` chains of @middy/core 7.x and 6.x, run by the
 * freezing Lambda harness: when `invoke()` resolves the process is already SIGSTOPped, so what
 * the receiver holds then is exactly what was delivered before Lambda would have frozen it.
 * Handlers live in test/fixtures/adapters/middy-handlers.mjs and import the built package.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ReceivedSpan } from '../../src/dev/otlp.js';
import { LambdaHarness } from '../support/lambda-runtime/index.js';
import { OtlpReceiver } from '../support/receiver.js';
import { fixture, KEY } from './helpers.js';

let receiver: OtlpReceiver;
const harnesses: LambdaHarness[] = [];

beforeAll(async () => {
  receiver = await OtlpReceiver.start();
});
afterAll(async () => {
  await receiver.close();
});
beforeEach(() => receiver.clear());
afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.stop();
});

const names = (spans: ReceivedSpan[]) => spans.map((s) => s.name).sort();
const byName = (name: string) => {
  const span = receiver.spanByName(name);
  if (!span) throw new Error(`No span "${name}" among: ${names(receiver.spans).join(', ')}`);
  return span;
};

describe.each([
  ['7.x', 'middy-7.mjs'],
  ['6.x', 'middy-6.mjs'],
])('Middy %s under the freezing Lambda harness', { timeout: 30_000 }, (_version, file) => {
  async function lambda(exportName: string): Promise<LambdaHarness> {
    const harness = await LambdaHarness.start({
      handlerModule: fixture(file),
      exportName,
      timeoutMillis: 5000,
      env: { BENTOLABS_API_KEY: KEY, BENTOLABS_BASE_URL: receiver.url },
    });
    harnesses.push(harness);
    return harness;
  }

  it('success: every span is exported before the freeze and carries the invocation attributes', async () => {
    const fn = await lambda('basic');
    const first = await fn.invoke({ text: 'hi' });
    expect(first).toMatchObject({ outcome: 'success', result: { ok: true, requestId: first.requestId } });
    expect(names(receiver.spans)).toEqual(['middy-llm', 'middy-turn']);
    const turn = byName('middy-turn');
    expect(byName('middy-llm').parentSpanId).toBe(turn.spanId);
    expect(turn.parentSpanId).toBeUndefined();
    for (const span of receiver.spans) {
      expect(span.attributes).toMatchObject({
        'faas.invocation_id': first.requestId,
        'faas.coldstart': true,
        'faas.name': 'harness-function',
        'cloud.platform': 'aws_lambda',
      });
      expect(String(span.attributes['cloud.resource_id'])).toContain(':function:harness-function');
    }

    // The same process again (thawed): a new invocation, not one nested in the previous one.
    receiver.clear();
    const second = await fn.invoke({ text: 'again' });
    expect(second.coldStart).toBe(false);
    expect(names(receiver.spans)).toEqual(['middy-llm', 'middy-turn']);
    for (const span of receiver.spans) {
      expect(span.attributes).toMatchObject({ 'faas.invocation_id': second.requestId, 'faas.coldstart': false });
    }
  });

  it('error: the handler error is returned unchanged, after the spans (with the error) were exported', async () => {
    const fn = await lambda('failing');
    const result = await fn.invoke({});
    expect(result.outcome).toBe('error');
    expect(result.error).toMatchObject({ name: 'Error', message: 'handler failed' });
    const open = byName('middy-open-turn');
    expect(open.status.code).toBe(2);
    expect(open.events.map((e) => e.name)).toContain('exception');
    expect(byName('middy-before-failure').parentSpanId).toBe(open.spanId);
    expect(open.attributes['faas.invocation_id']).toBe(result.requestId);
  });

  it('early return by a later `before`: flushed although Middy skips the handler and our `after`', async () => {
    const fn = await lambda('earlyBefore');
    const result = await fn.invoke({});
    expect(result).toMatchObject({ outcome: 'success', result: { cached: true } });
    expect(names(receiver.spans)).toEqual(['middy-cache-hit']);
    expect(byName('middy-cache-hit').attributes['faas.invocation_id']).toBe(result.requestId);
  });

  it('early return by an `after` that runs before ours: flushed although ours is skipped', async () => {
    const fn = await lambda('earlyAfter');
    const result = await fn.invoke({});
    expect(result).toMatchObject({ outcome: 'success', result: { replaced: true } });
    expect(names(receiver.spans)).toEqual(['middy-after-early', 'middy-llm', 'middy-turn']);
  });

  it('an error answered by an `onError` that runs before ours: flushed, the response is unchanged', async () => {
    const fn = await lambda('handledError');
    const result = await fn.invoke({});
    expect(result).toMatchObject({ outcome: 'success', result: { statusCode: 503, body: 'try again' } });
    expect(names(receiver.spans)).toEqual(['middy-before-handled-failure', 'middy-error-handler']);
    expect(byName('middy-error-handler').attributes.message).toBe('handled');
  });

  it('response streaming: flushed when the body has been written, not in `after`', async () => {
    const fn = await lambda('streaming');
    const result = await fn.invoke({});
    expect(result.outcome).toBe('success');
    expect(result.stream?.body).toBe('one two three');
    expect(result.stream?.metadata).toMatchObject({ statusCode: 200 });
    // Recorded by the body generator after its last chunk, i.e. after every middleware ran.
    expect(names(receiver.spans)).toEqual(['middy-stream-done', 'middy-stream-start']);
  });

  it.each([
    ['wrapHandler(middy(h).use(bentoMiddleware()))', 'stackedOuter'],
    ['middy(wrapHandler(h)).use(bentoMiddleware())', 'stackedInner'],
  ])('stacked with wrapHandler, %s: one set of spans, one flush at the very end', async (_label, exportName) => {
    const fn = await lambda(exportName);
    const result = await fn.invoke({});
    expect(result).toMatchObject({ outcome: 'success', result: { ok: true } });
    expect(names(receiver.spans)).toEqual(['middy-after-mw', 'middy-llm', 'middy-turn']);
    // `middy-after-mw` is recorded after the inner adapter's end: a second flush would have
    // shipped it in a request of its own.
    expect(receiver.requests).toHaveLength(1);
    for (const span of receiver.spans) expect(span.attributes['faas.invocation_id']).toBe(result.requestId);
  });

  it('overlapping invocations in one process keep their own attributes and trajectories', async () => {
    const fn = await lambda('basic');
    const results = await fn.invokeConcurrently([{ convo: 'conv-a' }, { convo: 'conv-b' }]);
    expect(results.map((r) => r.outcome)).toEqual(['success', 'success']);
    expect(receiver.spans).toHaveLength(4);
    for (const [i, convo] of ['conv-a', 'conv-b'].entries()) {
      const spans = receiver.spans.filter((s) => s.attributes['gen_ai.conversation.id'] === convo);
      expect(names(spans)).toEqual(['middy-llm', 'middy-turn']);
      for (const span of spans) expect(span.attributes['faas.invocation_id']).toBe(results[i]!.requestId);
      const turn = spans.find((s) => s.name === 'middy-turn')!;
      expect(spans.find((s) => s.name === 'middy-llm')!.parentSpanId).toBe(turn.spanId);
    }
  });
});
