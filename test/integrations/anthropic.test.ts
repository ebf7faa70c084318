/**
 * `wrapAnthropic` through the real `@anthropic-ai/sdk` client against the fake provider, asserted
 * on what the real OTLP receiver decoded (SPEC §10).
 */
import Anthropic from '@anthropic-ai/sdk';
import { beforeEach, describe, expect, test } from 'vitest';
import { begin } from '../../src/index.js';
import { wrapAnthropic } from '../../src/integrations/anthropic.js';
import { ANSWER, ANTHROPIC_USAGE, CHUNKS, responseModel, TOOL_ARGS } from '../support/fake-llm-server.js';
import { json, NODE_OK, only, received, STATUS_ERROR, startSdk, useFakeLlm, useReceiver } from './helpers.js';

const receiver = useReceiver();
const fake = useFakeLlm();
const params = {
  model: 'claude-test',
  max_tokens: 100,
  system: 'Be brief.',
  messages: [{ role: 'user' as const, content: 'hi' }],
};
const ALL_INPUT = ANTHROPIC_USAGE.input + ANTHROPIC_USAGE.cacheRead + ANTHROPIC_USAGE.cacheWrite;

function client(): Anthropic {
  return new Anthropic({ apiKey: 'sk-ant-test', baseURL: fake.server.url, maxRetries: 0 });
}

const expected = {
  'openinference.span.kind': 'llm',
  'gen_ai.system': 'anthropic',
  'gen_ai.request.model': 'claude-test',
  'gen_ai.response.model': responseModel('claude-test'),
  'output.value': ANSWER,
  'gen_ai.usage.input_tokens': ALL_INPUT,
  'gen_ai.usage.output_tokens': ANTHROPIC_USAGE.output,
  'gen_ai.usage.cache_read.input_tokens': ANTHROPIC_USAGE.cacheRead,
  'gen_ai.response.finish_reasons': ['end_turn'],
};

describe.skipIf(!NODE_OK)('wrapAnthropic', () => {
  beforeEach(() => startSdk(receiver));

  test('messages.create: same client, one anthropic.messages span; input tokens include cache reads and writes', async () => {
    const raw = client();
    const anthropic = wrapAnthropic(raw);
    expect(anthropic).toBe(raw);
    const message = await anthropic.messages.create(params);
    expect(message.content[0]).toMatchObject({ type: 'text', text: ANSWER });
    const span = only(await received(receiver), 'anthropic.messages');
    expect(span.attributes).toMatchObject(expected);
    expect(json(span, 'input.value')).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'hi' },
    ]);
    expect(span.attributes['gen_ai.usage.reasoning_tokens']).toBeUndefined();
  });

  test('messages.create({ stream: true }): the events reach the caller; the span has the assembled answer', async () => {
    const anthropic = wrapAnthropic(client());
    const stream = await anthropic.messages.create({ ...params, stream: true });
    const deltas: string[] = [];
    for await (const event of stream)
      if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') deltas.push(event.delta.text);
    expect(deltas).toEqual(CHUNKS);
    const span = only(await received(receiver), 'anthropic.messages');
    expect(span.attributes).toMatchObject(expected);
    expect(span.attributes['gen_ai.response.time_to_first_chunk']).toBeGreaterThan(0);
  });

  test('messages.stream(): finalMessage() and text events work as before, one span, tool use as JSON', async () => {
    const anthropic = wrapAnthropic(client());
    const texts: string[] = [];
    const helper = anthropic.messages.stream(params).on('text', (t) => texts.push(t));
    const final = await helper.finalMessage();
    expect(final.content[0]).toMatchObject({ type: 'text', text: ANSWER });
    expect(texts).toEqual(CHUNKS);
    const tools = await anthropic.messages.stream({ ...params, model: 'claude-tools' }).finalMessage();
    expect(tools.content[0]).toMatchObject({ type: 'tool_use', input: JSON.parse(TOOL_ARGS) });

    const spans = (await received(receiver)).filter((s) => s.name === 'anthropic.messages');
    expect(spans).toHaveLength(2);
    const [text, tool] = ['claude-test', 'claude-tools'].map(
      (m) => spans.find((s) => s.attributes['gen_ai.request.model'] === m)!,
    );
    expect(text!.attributes).toMatchObject(expected);
    expect(typeof text!.attributes['gen_ai.response.time_to_first_chunk']).toBe('number');
    expect(json(tool!, 'output.value')).toEqual([
      { type: 'tool_call', id: 'toolu_fake_1', name: 'get_weather', arguments: TOOL_ARGS },
    ]);
    expect(tool!.attributes['gen_ai.response.finish_reasons']).toEqual(['tool_use']);
  });

  test('a 429 is rethrown as the client raised it; the span is ERROR with an exception event', async () => {
    const anthropic = wrapAnthropic(client());
    const error = await anthropic.messages.create({ ...params, model: 'error-429' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.RateLimitError);
    const span = only(await received(receiver), 'anthropic.messages');
    expect(span.status.code).toBe(STATUS_ERROR);
    expect(span.events.find((e) => e.name === 'exception')?.attributes['exception.message']).toBe(
      (error as Error).message,
    );
  });

  test('a stream error event fails the caller and the span; abort() ends it as cancelled', async () => {
    const anthropic = wrapAnthropic(client());
    const failing = anthropic.messages.stream({ ...params, model: 'midstream-error' });
    const error = await failing.finalMessage().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.APIError);

    // A MessageStream rejects its internal promises on abort(); listening for 'abort' is how the
    // client library expects an aborting caller to say it handles that (unwrapped alike).
    const stalled = anthropic.messages.stream({ ...params, model: 'stall' }).on('abort', () => undefined);
    const disconnected = fake.server.nextDisconnect();
    await new Promise<void>((resolve) => stalled.once('text', () => resolve()));
    stalled.abort();
    await disconnected;
    await stalled.done().catch(() => undefined);

    const spans = (await received(receiver)).filter((s) => s.name === 'anthropic.messages');
    const failed = spans.find((s) => s.attributes['gen_ai.request.model'] === 'midstream-error')!;
    expect(failed.status.code).toBe(STATUS_ERROR);
    expect(failed.attributes['output.value']).toBe(CHUNKS[0]);
    const cancelled = spans.find((s) => s.attributes['gen_ai.request.model'] === 'stall')!;
    expect(cancelled.attributes['bentolabs.cancelled']).toBe(true);
    expect(cancelled.attributes['output.value']).toBe(CHUNKS[0]);
  });

  test('nests in the open trajectory; captureInput/captureOutput false leave the text out', async () => {
    const anthropic = wrapAnthropic(client(), { captureInput: false, captureOutput: false });
    await begin({ event: 'turn', userId: 'u7' }, () => anthropic.messages.stream(params).finalMessage());
    const spans = await received(receiver);
    const llm = only(spans, 'anthropic.messages');
    expect(llm.parentSpanId).toBe(only(spans, 'turn').spanId);
    expect(llm.attributes['gen_ai.user.id']).toBe('u7');
    expect(llm.attributes['input.value']).toBeUndefined();
    expect(llm.attributes['output.value']).toBeUndefined();
    expect(llm.attributes['gen_ai.usage.input_tokens']).toBe(ALL_INPUT);
  });
});
