/**
 * wrapHandler under a runtime that freezes the process the moment the handler settles: what each
 * invocation recorded must already be at the endpoint, with its Lambda attributes and parent links,
 * for thrown errors, timeouts, stacked wrappers and overlapping invocations alike.
 */
import { describe, expect, test } from 'vitest';
import { attr, byName, isChildOf, lambda, receiver, sdkLines, spansOf, STATUS_ERROR } from './helpers.js';

const FUNCTION = 'chat-fn';
const ARN = `arn:aws:lambda:us-east-1:123456789012:function:${FUNCTION}`;

describe.skipIf(process.platform === 'win32')('wrapHandler delivers before the freeze', { timeout: 30_000 }, () => {
  test('10 invocations: every span of each is at the endpoint when the process freezes, linked and stamped', async () => {
    const otlp = await receiver();
    const fn = await lambda(otlp.url, { module: 'agent.mjs', functionName: FUNCTION });

    for (let i = 1; i <= 10; i++) {
      const requestId = `req-${i}`;
      const result = await fn.invoke({ turn: i }, { requestId });
      expect(result).toMatchObject({ outcome: 'success', result: { turn: i, recordedSpans: 6 } });
      expect(fn.frozen).toBe(true);

      // Read at the freeze: nothing more can arrive, so this is exactly what was delivered.
      const mine = spansOf(otlp.spans, requestId);
      expect(mine.map((s) => s.name).sort()).toEqual([
        'agent_turn',
        'calc',
        'final_answer',
        'llm_call',
        'lookup',
        'sub_agent',
      ]);
      expect(otlp.spans).toHaveLength(6 * i);

      const root = byName(mine, 'agent_turn');
      const sub = byName(mine, 'sub_agent');
      expect(root.parentSpanId).toBeUndefined();
      expect(isChildOf(byName(mine, 'lookup'), root)).toBe(true);
      expect(isChildOf(sub, root)).toBe(true);
      expect(isChildOf(byName(mine, 'final_answer'), root)).toBe(true);
      expect(isChildOf(byName(mine, 'calc'), sub)).toBe(true);
      expect(isChildOf(byName(mine, 'llm_call'), sub)).toBe(true);
      expect(attr(byName(mine, 'lookup'), 'openinference.span.kind')).toBe('tool');
      expect(attr(byName(mine, 'final_answer'), 'output.value')).toBe(`answer ${i}`);
      expect(attr(byName(mine, 'llm_call'), 'turn')).toBe(i);

      for (const span of mine) {
        expect(span.attributes).toMatchObject({
          'faas.invocation_id': requestId,
          'faas.name': FUNCTION,
          'cloud.resource_id': ARN,
          'cloud.provider': 'aws',
          'faas.coldstart': i === 1,
        });
        expect(span.typedAttributes['faas.coldstart']?.type).toBe('bool');
      }
    }
    // One trace per invocation, none shared.
    expect(new Set(otlp.spans.map((s) => s.traceId)).size).toBe(10);
  });

  test('a thrown error passes through unchanged, after its spans were delivered with the exception', async () => {
    const otlp = await receiver();
    const fn = await lambda(otlp.url, { module: 'agent.mjs', exportName: 'throws' });

    const result = await fn.invoke({}, { requestId: 'req-throws' });
    expect(result).toMatchObject({ outcome: 'error', error: { name: 'QuotaError', message: 'model quota exceeded' } });
    // The stack is the handler's own, not one made up by the wrapper.
    expect(result.error?.stack).toContain('agent.mjs');

    const mine = spansOf(otlp.spans, 'req-throws');
    expect(mine.map((s) => s.name).sort()).toEqual(['failing_turn', 'llm_call']);
    const turn = byName(mine, 'failing_turn');
    expect(turn.status).toMatchObject({ code: STATUS_ERROR, message: 'model quota exceeded' });
    const exception = turn.events.find((e) => e.name === 'exception');
    expect(exception?.attributes).toMatchObject({ 'exception.message': 'model quota exceeded' });
    expect(String(exception?.attributes['exception.stacktrace'])).toContain('QuotaError: model quota exceeded');
    expect(isChildOf(byName(mine, 'llm_call'), turn)).toBe(true);

    // The process stays warm and usable: a thrown error is not a crash.
    expect(fn.frozen).toBe(true);
  });

  test('a handler that hangs past its timeout still delivers what it recorded, open spans marked timed_out', async () => {
    const otlp = await receiver();
    const fn = await lambda(otlp.url, { module: 'agent.mjs', exportName: 'hangs', timeoutMillis: 1500 });

    const result = await fn.invoke({}, { requestId: 'req-hang' });
    expect(result.outcome).toBe('timeout');
    // invoke() resolves after the SIGKILL: whatever is here was delivered before the kill.
    const mine = spansOf(otlp.spans, 'req-hang');
    expect(mine.map((s) => s.name).sort()).toEqual(['before_hang', 'hung_turn', 'slow_tool']);

    const done = byName(mine, 'before_hang');
    expect(done.status.code).not.toBe(STATUS_ERROR);
    expect(attr(done, 'bentolabs.timed_out')).toBeUndefined();

    const turn = byName(mine, 'hung_turn');
    const tool = byName(mine, 'slow_tool');
    expect(isChildOf(tool, turn)).toBe(true);
    for (const open of [turn, tool]) {
      expect(open.status.code).toBe(STATUS_ERROR);
      expect(open.attributes).toMatchObject({ 'bentolabs.timed_out': true, 'faas.invocation_id': 'req-hang' });
      expect(open.typedAttributes['bentolabs.timed_out']?.type).toBe('bool');
    }
    expect(sdkLines(result.logs).join('\n')).toMatch(/time out/i);
  });

  test.each([
    ['wrapHandler(wrapHandler(h))', 'doubleWrapped'],
    ['a wrapped handler called from inside another wrapped handler', 'layered'],
  ])('%s records one set of spans and flushes once', async (_label, exportName) => {
    const otlp = await receiver();
    const fn = await lambda(otlp.url, { module: 'agent.mjs', exportName });

    for (const requestId of ['req-a', 'req-b']) {
      otlp.clear();
      const result = await fn.invoke({ q: requestId }, { requestId });
      expect(result).toMatchObject({ outcome: 'success', result: { statusCode: 200, body: `answer to ${requestId}` } });
      expect(otlp.requests).toHaveLength(1);
      expect(otlp.spans.map((s) => s.name).sort()).toEqual(['llm_call', 'simple_turn']);
      expect(spansOf(otlp.spans, requestId)).toHaveLength(2);
      // Exactly one set of Lambda attributes: the outer invocation's cold start, not a second one.
      expect(otlp.spans.every((s) => attr(s, 'faas.coldstart') === (requestId === 'req-a'))).toBe(true);
    }
  });

  test('two overlapping invocations in one process keep their spans apart', async () => {
    const otlp = await receiver();
    const fn = await lambda(otlp.url, { module: 'agent.mjs', exportName: 'concurrent' });

    // Interleaved sleeps: each one's steps start while the other's are in progress.
    const results = await fn.invokeConcurrently([
      { id: 'slow', first: 15, second: 10 },
      { id: 'fast', first: 5, second: 20 },
    ]);
    expect(results.map((r) => r.outcome)).toEqual(['success', 'success']);
    expect(results.map((r) => r.result)).toEqual([{ id: 'slow' }, { id: 'fast' }]);
    expect(otlp.spans).toHaveLength(8);

    for (const [i, who] of [
      [0, 'slow'],
      [1, 'fast'],
    ] as const) {
      const requestId = results[i]!.requestId;
      const mine = spansOf(otlp.spans, requestId);
      expect(mine.map((s) => s.name).sort()).toEqual(['llm_call', 'nested', 'tool', 'turn']);
      // Every span of this invocation was recorded by this invocation's code...
      expect(mine.every((s) => attr(s, 'who') === who)).toBe(true);
      // ...and hangs off this invocation's own trajectories.
      const turn = byName(mine, 'turn');
      const nested = byName(mine, 'nested');
      expect(turn.parentSpanId).toBeUndefined();
      expect(attr(turn, 'gen_ai.conversation.id')).toBe(who);
      expect(isChildOf(byName(mine, 'tool'), turn)).toBe(true);
      expect(isChildOf(nested, turn)).toBe(true);
      expect(isChildOf(byName(mine, 'llm_call'), nested)).toBe(true);
    }
    expect(new Set(otlp.spans.map((s) => s.traceId)).size).toBe(2);
  });
});
