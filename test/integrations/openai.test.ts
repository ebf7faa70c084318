/**
 * `wrapOpenAI` through the real `openai` client against the fake provider, asserted on what the
 * real OTLP receiver decoded (SPEC §10): span name, kind and attributes, streams assembled and
 * ended when consumed, cancelled or failed, errors rethrown unchanged, the client unchanged.
 */
import OpenAI from 'openai';
import { beforeEach, describe, expect, test } from 'vitest';
import { begin, flush, propagateAttributes } from '../../src/index.js';
import { wrapOpenAI } from '../../src/integrations/openai.js';
import { ANSWER, CHUNKS, responseModel, TOOL_ARGS, USAGE } from '../support/fake-llm-server.js';
import {
  json,
  NODE_OK,
  only,
  openAiLlmAttributes,
  received,
  STATUS_ERROR,
  startSdk,
  useFakeLlm,
  useReceiver,
} from './helpers.js';

const receiver = useReceiver();
const fake = useFakeLlm();
const messages = [{ role: 'user' as const, content: 'hi' }];

function client(): OpenAI {
  return new OpenAI({ apiKey: 'sk-test', baseURL: fake.server.openaiBaseUrl, maxRetries: 0 });
}

describe.skipIf(!NODE_OK)('wrapOpenAI', () => {
  beforeEach(() => startSdk(receiver));

  test('returns the same client; a chat completion is one llm span with every SPEC §10 attribute', async () => {
    const raw = client();
    const openai = wrapOpenAI(raw);
    expect(openai).toBe(raw);
    const completion = await openai.chat.completions.create({ model: 'gpt-test', messages, temperature: 0 });
    expect(completion.choices[0]?.message.content).toBe(ANSWER);

    const span = only(await received(receiver), 'openai.chat.completions');
    expect(span.attributes).toMatchObject({
      ...openAiLlmAttributes(),
      'gen_ai.response.finish_reasons': ['stop'],
    });
    expect(json(span, 'input.value')).toEqual(messages);
    expect(span.typedAttributes['gen_ai.usage.input_tokens']?.type).toBe('int');
    expect(span.attributes['gen_ai.response.time_to_first_chunk']).toBeUndefined();
    expect(span.parentSpanId).toBeUndefined();
  });

  test('a stream reaches the caller unchanged; its span ends when consumed, with the answer assembled', async () => {
    const openai = wrapOpenAI(client());
    const stream = await openai.chat.completions.create({
      model: 'gpt-test',
      messages,
      stream: true,
      stream_options: { include_usage: true },
    });
    // Not consumed yet: the call's span is still open, and flush() says so instead of exporting it.
    const early = await flush();
    expect(early.ok).toBe(false);
    expect(early.error).toMatch(/1 span\(s\) still open/);
    expect(receiver.spans).toHaveLength(0);
    const deltas: string[] = [];
    for await (const chunk of stream) if (chunk.choices[0]?.delta.content) deltas.push(chunk.choices[0].delta.content);
    expect(deltas).toEqual(CHUNKS);

    const span = only(await received(receiver), 'openai.chat.completions');
    expect(span.attributes).toMatchObject({
      'output.value': ANSWER,
      'gen_ai.response.model': responseModel('gpt-test'),
      'gen_ai.usage.input_tokens': USAGE.input,
      'gen_ai.usage.cache_read.input_tokens': USAGE.cached,
      'gen_ai.response.finish_reasons': ['stop'],
    });
    expect(span.typedAttributes['gen_ai.response.time_to_first_chunk']?.type).toBe('double');
    const ttfc = span.attributes['gen_ai.response.time_to_first_chunk'] as number;
    expect(ttfc).toBeGreaterThan(0);
    expect(ttfc * 1000).toBeLessThanOrEqual(span.durationMillis + 1);
  });

  test('toReadableStream() and the chat.completions.stream() helper keep working and are recorded once', async () => {
    const openai = wrapOpenAI(client());
    const stream = await openai.chat.completions.create({ model: 'gpt-test', messages, stream: true });
    const lines = (await new Response(stream.toReadableStream()).text()).trim().split('\n');
    expect(lines.map((l) => JSON.parse(l).choices[0]?.delta.content ?? '').join('')).toBe(ANSWER);

    const runner = openai.chat.completions.stream({ model: 'gpt-tools', messages });
    const final = await runner.finalChatCompletion();
    expect(final.choices[0]?.message.tool_calls?.[0]).toMatchObject({ function: { arguments: TOOL_ARGS } });

    const spans = (await received(receiver)).filter((s) => s.name === 'openai.chat.completions');
    expect(spans).toHaveLength(2);
    expect(spans.map((s) => s.attributes['gen_ai.request.model']).sort()).toEqual(['gpt-test', 'gpt-tools']);
    expect(spans.find((s) => s.attributes['gen_ai.request.model'] === 'gpt-test')?.attributes['output.value']).toBe(
      ANSWER,
    );
    const tools = spans.find((s) => s.attributes['gen_ai.request.model'] === 'gpt-tools')!;
    expect(json(tools, 'output.value')).toEqual([
      { type: 'tool_call', id: 'call_weather_1', name: 'get_weather', arguments: TOOL_ARGS },
    ]);
    expect(tools.attributes['gen_ai.response.finish_reasons']).toEqual(['tool_calls']);
  });

  test('tool calls in a JSON answer are recorded as JSON; withResponse() still gives data and response', async () => {
    const openai = wrapOpenAI(client());
    const { data, response } = await openai.chat.completions.create({ model: 'gpt-tools', messages }).withResponse();
    expect(response.status).toBe(200);
    expect(data.choices[0]?.finish_reason).toBe('tool_calls');
    const span = only(await received(receiver), 'openai.chat.completions');
    expect(json(span, 'output.value')).toEqual([
      { type: 'tool_call', id: 'call_weather_1', name: 'get_weather', arguments: TOOL_ARGS },
    ]);
  });

  test('responses.create, JSON and streamed: openai.responses spans without finish reasons', async () => {
    const openai = wrapOpenAI(client());
    const response = await openai.responses.create({ model: 'gpt-test', input: 'hi', instructions: 'Be brief.' });
    expect(response.output_text).toBe(ANSWER);
    const stream = await openai.responses.create({ model: 'gpt-test', input: 'hi', stream: true });
    const deltas: string[] = [];
    for await (const event of stream) if (event.type === 'response.output_text.delta') deltas.push(event.delta);
    expect(deltas).toEqual(CHUNKS);

    const spans = (await received(receiver)).filter((s) => s.name === 'openai.responses');
    expect(spans).toHaveLength(2);
    for (const span of spans) {
      expect(span.attributes).toMatchObject({
        ...openAiLlmAttributes(),
      });
      expect(span.attributes['gen_ai.response.finish_reasons']).toBeUndefined();
    }
    const [json1, json2] = spans.map((s) => s.attributes['input.value']);
    expect(JSON.parse(String(json1))).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'hi' },
    ]);
    expect(JSON.parse(String(json2))).toEqual([{ role: 'user', content: 'hi' }]);
    expect(spans.filter((s) => s.attributes['gen_ai.response.time_to_first_chunk'] !== undefined)).toHaveLength(1);
  });

  test.each([
    [429, 'error-429', OpenAI.RateLimitError],
    [500, 'error-500', OpenAI.InternalServerError],
  ])(
    'HTTP %i: the client error is rethrown as is; the span has status ERROR and an exception event',
    async (status, model, type) => {
      const openai = wrapOpenAI(client());
      const error = await openai.chat.completions.create({ model, messages }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(type);
      expect((error as InstanceType<typeof OpenAI.APIError>).status).toBe(status);
      expect((error as InstanceType<typeof OpenAI.APIError>).requestID).toBe(`req_fake_${status}`);
      const span = only(await received(receiver), 'openai.chat.completions');
      expect(span.status.code).toBe(STATUS_ERROR);
      const event = span.events.find((e) => e.name === 'exception');
      expect(event?.attributes['exception.message']).toBe((error as Error).message);
      expect(event?.attributes['exception.type']).toBe((error as Error).name);
    },
  );

  test('a stream that fails midway: the caller gets the error, the span ERROR with the output so far', async () => {
    const openai = wrapOpenAI(client());
    const stream = await openai.chat.completions.create({ model: 'midstream-error', messages, stream: true });
    const seen: string[] = [];
    const error = await (async () => {
      for await (const chunk of stream) seen.push(chunk.choices[0]?.delta.content ?? '');
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    const span = only(await received(receiver), 'openai.chat.completions');
    expect(span.status.code).toBe(STATUS_ERROR);
    expect(span.attributes['output.value']).toBe(seen.join(''));
    expect(span.attributes['output.value']).toBe(CHUNKS[0]);
  });

  test.each([
    ['break out of for await', 'break'],
    ['cancel its toReadableStream()', 'cancel'],
  ])('a stream the caller stops reading (%s) ends its span as cancelled', async (_label, how) => {
    const openai = wrapOpenAI(client());
    const stream = await openai.chat.completions.create({ model: 'stall', messages, stream: true });
    const disconnected = fake.server.nextDisconnect();
    if (how === 'break') {
      for await (const chunk of stream) if (chunk.choices[0]?.delta.content) break;
    } else {
      const reader = stream.toReadableStream().getReader();
      let text = '';
      while (!text.includes(CHUNKS[0]!)) text += new TextDecoder().decode((await reader.read()).value);
      await reader.cancel();
    }
    await disconnected;
    const span = only(await received(receiver), 'openai.chat.completions');
    expect(span.attributes['bentolabs.cancelled']).toBe(true);
    expect(span.attributes['output.value']).toBe(CHUNKS[0]);
    expect(span.status.code).not.toBe(STATUS_ERROR);
  });

  test('captureInput / captureOutput false leave prompts and answers out; event renames the span', async () => {
    const openai = wrapOpenAI(client(), { captureInput: false, captureOutput: false, event: 'support_answer' });
    await openai.chat.completions.create({ model: 'gpt-test', messages });
    const stream = await openai.chat.completions.create({ model: 'gpt-test', messages, stream: true });
    for await (const _ of stream);
    const spans = (await received(receiver)).filter((s) => s.name === 'support_answer');
    expect(spans).toHaveLength(2);
    for (const span of spans) {
      expect(span.attributes['input.value']).toBeUndefined();
      expect(span.attributes['output.value']).toBeUndefined();
      expect(span.attributes['gen_ai.usage.output_tokens'] ?? span.attributes['gen_ai.response.model']).toBeDefined();
    }
  });

  test('nests in the open trajectory and carries the identity of the scope', async () => {
    const openai = wrapOpenAI(client());
    await propagateAttributes({ userId: 'u-scope', sessionId: 'c-scope' }, () =>
      begin({ event: 'chat_turn' }, async () => {
        const stream = await openai.chat.completions.create({ model: 'gpt-test', messages, stream: true });
        for await (const _ of stream);
      }),
    );
    const spans = await received(receiver);
    const turn = only(spans, 'chat_turn');
    const llm = only(spans, 'openai.chat.completions');
    expect(llm.parentSpanId).toBe(turn.spanId);
    expect(llm.traceId).toBe(turn.traceId);
    expect(llm.attributes).toMatchObject({ 'gen_ai.user.id': 'u-scope', 'gen_ai.conversation.id': 'c-scope' });
  });

  test('wrapping twice records once; withOptions() clients record too; bad input fails at setup', async () => {
    const openai = wrapOpenAI(wrapOpenAI(client()), { event: 'second' });
    await openai.chat.completions.create({ model: 'gpt-test', messages });
    await openai.withOptions({ timeout: 5000 }).chat.completions.create({ model: 'gpt-test', messages });
    expect((await received(receiver)).map((s) => s.name)).toEqual(['second', 'second']);
    expect(() => wrapOpenAI({} as OpenAI)).toThrow(TypeError);
    expect(() => wrapOpenAI(client(), { captureInput: 'no' as unknown as boolean })).toThrow(TypeError);
    const hostile = Object.defineProperty({}, 'event', {
      get() {
        throw new Error('boom');
      },
    });
    expect(() => wrapOpenAI(client(), hostile)).toThrow(TypeError);
  });

  test('a structural client (plain promises, an async generator as stream) is recorded too', async () => {
    const chunks = CHUNKS.map((content) => ({ model: 'm-1', choices: [{ index: 0, delta: { content } }] }));
    const double = {
      chat: {
        completions: {
          create: async (params: { model: string; messages: unknown[]; stream?: boolean }) =>
            params.stream
              ? (async function* () {
                  yield* chunks;
                })()
              : { model: 'm-1', choices: [{ index: 0, message: { content: ANSWER }, finish_reason: 'stop' }] },
        },
      },
    };
    const wrapped = wrapOpenAI(double);
    expect(wrapped).toBe(double);
    await wrapped.chat.completions.create({ model: 'm', messages });
    const parts: string[] = [];
    for await (const c of (await wrapped.chat.completions.create({
      model: 'm',
      messages,
      stream: true,
    })) as AsyncIterable<(typeof chunks)[number]>)
      parts.push(c.choices[0]!.delta.content);
    expect(parts).toEqual(CHUNKS);
    const spans = (await received(receiver)).filter((s) => s.name === 'openai.chat.completions');
    expect(spans.map((s) => s.attributes['output.value'])).toEqual([ANSWER, ANSWER]);
    expect(spans.map((s) => s.attributes['gen_ai.response.model'])).toEqual(['m-1', 'm-1']);
  });
});
