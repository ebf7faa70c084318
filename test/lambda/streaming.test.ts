/**
 * Response-streaming handlers (`awslambda.streamifyResponse`) through wrapHandler: the runtime must
 * still see a streaming handler, the client gets the body, and the spans arrive before the freeze,
 * which for streaming comes once both the handler's promise and the stream have finished.
 */
import { describe, expect, test } from 'vitest';
import { wrapHandler } from '../../src/adapters/lambda.js';
import { attr, lambda, receiver, spansOf } from './helpers.js';

const STREAMING = Symbol.for('aws.lambda.runtime.handler.streaming');
const HIGH_WATER_MARK = Symbol.for('aws.lambda.runtime.handler.streaming.highWaterMark');

describe.skipIf(process.platform === 'win32')('wrapHandler with response streaming', { timeout: 20_000 }, () => {
  test.each([
    ['wrapHandler(streamifyResponse(h))', 'handler'],
    ['streamifyResponse(wrapHandler(h))', 'streamifiedOutside'],
  ])('%s: the body reaches the client and every span is delivered before the freeze', async (_label, exportName) => {
    const otlp = await receiver();
    const fn = await lambda(otlp.url, { module: 'streaming.mjs', exportName });

    const result = await fn.invoke({}, { requestId: 'req-stream' });
    expect(result).toMatchObject({
      outcome: 'success',
      stream: {
        contentType: 'application/vnd.awslambda.http-integration-response',
        metadata: { statusCode: 200, headers: { 'content-type': 'text/plain' } },
        body: 'Hello world',
      },
    });
    expect(fn.frozen).toBe(true);

    const mine = spansOf(otlp.spans, 'req-stream');
    expect(mine.map((s) => s.name).sort()).toEqual(['chunk', 'chunk', 'chunk', 'llm_call', 'stream_turn']);
    const turn = mine.find((s) => s.name === 'stream_turn')!;
    expect(mine.filter((s) => s !== turn).every((s) => s.parentSpanId === turn.spanId)).toBe(true);
    expect(mine.filter((s) => s.name === 'chunk').map((s) => attr(s, 'output.value'))).toEqual(['Hel', 'lo ', 'world']);
  });

  test('a handler that resolves before ending its stream: what it records until end() is delivered', async () => {
    const otlp = await receiver();
    const fn = await lambda(otlp.url, { module: 'streaming.mjs', exportName: 'endsLate' });

    const result = await fn.invoke({}, { requestId: 'req-late' });
    expect(result).toMatchObject({ outcome: 'success', stream: { body: 'late end' } });
    expect(spansOf(otlp.spans, 'req-late').map((s) => s.name)).toEqual(['late_chunk']);
  });

  test("the wrapper keeps the runtime's streaming markers, so the runtime passes it a response stream", () => {
    const handler = Object.assign(async () => undefined, { [STREAMING]: 'response', [HIGH_WATER_MARK]: 1024 });
    const wrapped = wrapHandler(handler) as unknown as Record<symbol, unknown>;
    expect(wrapped).not.toBe(handler);
    expect(wrapped[STREAMING]).toBe('response');
    expect(wrapped[HIGH_WATER_MARK]).toBe(1024);
  });
});
