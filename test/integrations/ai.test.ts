/**
 * `bentoTelemetry()` through the real Vercel AI SDK 7 (`ai` with `@ai-sdk/openai`) against the
 * fake provider, asserted on what the real OTLP receiver decoded (SPEC §10): a `chain` span per
 * call, an `llm` span per model call and a `tool` span per tool execution under it, identity from
 * the scope or `runtimeContext`.
 */
import { createOpenAI } from '@ai-sdk/openai';
import {
  generateObject,
  generateText,
  streamObject,
  jsonSchema,
  registerTelemetry,
  stepCountIs,
  streamText,
  tool,
  type Telemetry,
} from 'ai';
import OpenAI from 'openai';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { begin, propagateAttributes } from '../../src/index.js';
import { bentoTelemetry, providerFamily } from '../../src/integrations/ai.js';
import { wrapOpenAI } from '../../src/integrations/openai.js';
import { ANSWER, responseModel, TOOL_ANSWER, TOOL_ARGS, USAGE } from '../support/fake-llm-server.js';
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
const provider = () => createOpenAI({ apiKey: 'sk-test', baseURL: fake.server.openaiBaseUrl });
const telemetry = () => ({ integrations: [bentoTelemetry()] });
const weatherTool = (
  execute: (input: { city: string }) => Promise<unknown> = async ({ city }) => ({ city, sky: 'sunny' }),
) =>
  tool({
    inputSchema: jsonSchema<{ city: string }>({ type: 'object', properties: { city: { type: 'string' } } }),
    execute,
  });

// Compile-time: what bentoTelemetry() returns is an AI SDK 7 `Telemetry` integration.
const _typed: Telemetry = bentoTelemetry();
// generateObject/streamObject are deprecated in AI SDK 7 (still supported, and in SPEC §10): keep the log quiet.
globalThis.AI_SDK_LOG_WARNINGS = false;

describe.skipIf(!NODE_OK)('bentoTelemetry (AI SDK 7)', () => {
  beforeEach(() => startSdk(receiver));
  afterEach(() => {
    globalThis.AI_SDK_TELEMETRY_INTEGRATIONS = undefined;
  });

  test('generateText: one chain span named after the operation, one llm span under it with every attribute', async () => {
    const result = await generateText({
      model: provider().chat('gpt-test'),
      instructions: 'Be brief.',
      prompt: 'hi',
      telemetry: telemetry(),
    });
    expect(result.text).toBe(ANSWER);
    const spans = await received(receiver);
    const chain = only(spans, 'generateText');
    const llm = only(spans, 'openai.chat');
    expect(chain.attributes).toMatchObject({
      'openinference.span.kind': 'chain',
      'gen_ai.system': 'openai',
      'gen_ai.request.model': 'gpt-test',
      'output.value': ANSWER,
    });
    expect(llm.parentSpanId).toBe(chain.spanId);
    expect(llm.attributes).toMatchObject({
      ...openAiLlmAttributes(),
      'gen_ai.response.finish_reasons': ['stop'],
    });
    expect(json(llm, 'input.value')).toMatchObject([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'hi' },
    ]);
    expect(llm.attributes['gen_ai.response.time_to_first_chunk']).toBeUndefined();
  });

  test('a tool loop (functionId names the chain): llm, tool, llm under the chain; a nested call nests under its tool', async () => {
    const openai = wrapOpenAI(new OpenAI({ apiKey: 'sk-test', baseURL: fake.server.openaiBaseUrl, maxRetries: 0 }));
    const result = await generateText({
      model: provider().chat('gpt-tools'),
      prompt: 'weather in Paris?',
      stopWhen: stepCountIs(3),
      tools: {
        get_weather: weatherTool(async ({ city }) => {
          await openai.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: city }] });
          return { city, sky: 'sunny' };
        }),
      },
      telemetry: { ...telemetry(), functionId: 'weather-agent' },
    });
    expect(result.text).toBe(TOOL_ANSWER);
    const spans = await received(receiver);
    const chain = only(spans, 'weather-agent');
    const llms = spans
      .filter((s) => s.name === 'openai.chat')
      .sort((a, b) => a.startTimeUnixNano.localeCompare(b.startTimeUnixNano));
    const toolSpan = only(spans, 'get_weather');
    expect(llms).toHaveLength(2);
    for (const s of [...llms, toolSpan]) expect(s.parentSpanId).toBe(chain.spanId);
    expect(json(llms[0]!, 'output.value')).toEqual([
      { type: 'tool_call', id: 'call_weather_1', name: 'get_weather', arguments: TOOL_ARGS },
    ]);
    expect(llms[0]!.attributes['gen_ai.response.finish_reasons']).toEqual(['tool-calls']);
    expect(llms[1]!.attributes['output.value']).toBe(TOOL_ANSWER);
    expect(toolSpan.attributes['openinference.span.kind']).toBe('tool');
    expect(json(toolSpan, 'input.value')).toEqual({ city: 'Paris' });
    expect(json(toolSpan, 'output.value')).toEqual({ city: 'Paris', sky: 'sunny' });
    expect(only(spans, 'openai.chat.completions').parentSpanId).toBe(toolSpan.spanId);
    expect(chain.attributes['output.value']).toBe(TOOL_ANSWER);
  });

  test('streamText: the chain ends when the stream is consumed; the llm span has time to first chunk', async () => {
    const result = streamText({ model: provider()('gpt-test'), prompt: 'hi', telemetry: telemetry() });
    let text = '';
    for await (const part of result.textStream) text += part;
    expect(text).toBe(ANSWER);
    await result.consumeStream();
    const spans = await received(receiver);
    const chain = only(spans, 'streamText');
    const llm = only(spans, 'openai.responses');
    expect(llm.parentSpanId).toBe(chain.spanId);
    expect(chain.attributes['output.value']).toBe(ANSWER);
    expect(llm.attributes).toMatchObject({ 'gen_ai.system': 'openai', 'output.value': ANSWER });
    expect(llm.attributes['gen_ai.response.finish_reasons']).toEqual(['stop']);
    expect(llm.typedAttributes['gen_ai.response.time_to_first_chunk']?.type).toBe('double');
  });

  test('runtimeContext fills identity only when included and when the scope has none; the scope wins', async () => {
    const call = (includeRuntimeContext?: { userId: boolean; convoId: boolean }) =>
      generateText({
        model: provider().chat('gpt-test'),
        prompt: 'hi',
        runtimeContext: { userId: 'rt-user', convoId: 'rt-convo' },
        telemetry: {
          ...telemetry(),
          functionId: `call-${includeRuntimeContext ? 'in' : 'out'}`,
          includeRuntimeContext,
        },
      });
    await call({ userId: true, convoId: true });
    await call();
    await propagateAttributes({ userId: 'scope-user' }, () =>
      begin({ event: 'turn' }, () =>
        generateText({
          model: provider().chat('gpt-test'),
          prompt: 'hi',
          runtimeContext: { userId: 'rt-user', convoId: 'rt-convo' },
          telemetry: { ...telemetry(), functionId: 'scoped', includeRuntimeContext: { userId: true, convoId: true } },
        }),
      ),
    );
    const spans = await received(receiver);
    const included = only(spans, 'call-in');
    const childOf = (parent: typeof included) => spans.find((s) => s.parentSpanId === parent.spanId)!;
    for (const s of [included, childOf(included)])
      expect(s.attributes).toMatchObject({ 'gen_ai.user.id': 'rt-user', 'gen_ai.conversation.id': 'rt-convo' });
    expect(only(spans, 'call-out').attributes['gen_ai.user.id']).toBeUndefined();
    const scoped = only(spans, 'scoped');
    expect(scoped.parentSpanId).toBe(only(spans, 'turn').spanId);
    for (const s of [scoped, childOf(scoped)])
      expect(s.attributes).toMatchObject({ 'gen_ai.user.id': 'scope-user', 'gen_ai.conversation.id': 'rt-convo' });
  });

  test('registerTelemetry(bentoTelemetry()) records every call; generateObject is a chain with its llm span', async () => {
    registerTelemetry(bentoTelemetry());
    const { object } = await generateObject({
      model: provider().chat('gpt-json'),
      schema: jsonSchema<{ city: string }>({ type: 'object', properties: { city: { type: 'string' } } }),
      prompt: 'city?',
    });
    expect(object).toEqual({ city: 'Paris' });
    const spans = await received(receiver);
    const chain = only(spans, 'generateObject');
    const llm = only(spans, 'openai.chat');
    expect(llm.parentSpanId).toBe(chain.spanId);
    expect(json(chain, 'output.value')).toEqual({ city: 'Paris' });
    expect(llm.attributes).toMatchObject({
      'output.value': TOOL_ARGS,
      'gen_ai.response.model': responseModel('gpt-json'),
      'gen_ai.usage.input_tokens': USAGE.input,
    });
  });

  test('streamObject: a chain span with its llm span, time to first chunk from the AI SDK', async () => {
    const result = streamObject({
      model: provider().chat('gpt-json'),
      schema: jsonSchema<{ city: string }>({ type: 'object', properties: { city: { type: 'string' } } }),
      prompt: 'city?',
      telemetry: telemetry(),
    });
    for await (const _ of result.partialObjectStream);
    expect(await result.object).toEqual({ city: 'Paris' });
    const spans = await received(receiver);
    const chain = only(spans, 'streamObject');
    const llm = only(spans, 'openai.chat');
    expect(llm.parentSpanId).toBe(chain.spanId);
    expect(chain.attributes['openinference.span.kind']).toBe('chain');
    expect(llm.attributes['output.value']).toBe(TOOL_ARGS);
    expect(llm.typedAttributes['gen_ai.response.time_to_first_chunk']?.type).toBe('double');
  });

  test('a provider error: the AI SDK rejects as without us; chain and llm spans are ERROR', async () => {
    const error = await generateText({
      model: provider().chat('error-500'),
      prompt: 'hi',
      maxRetries: 0,
      telemetry: telemetry(),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    const spans = await received(receiver);
    const chain = only(spans, 'generateText');
    expect(chain.status.code).toBe(STATUS_ERROR);
    expect(chain.events.some((e) => e.name === 'exception')).toBe(true);
    expect(only(spans, 'openai.chat').status.code).toBe(STATUS_ERROR);
  });

  test('captureInput / captureOutput false and recordInputs: false leave prompts and answers out', async () => {
    await generateText({
      model: provider().chat('gpt-test'),
      prompt: 'secret',
      telemetry: { integrations: [bentoTelemetry({ captureOutput: false })], recordInputs: false },
    });
    const spans = await received(receiver);
    expect(spans).toHaveLength(2);
    for (const s of spans) {
      expect(s.attributes['input.value']).toBeUndefined();
      expect(s.attributes['output.value']).toBeUndefined();
    }
  });

  test('provider ids map to their family', () => {
    expect(providerFamily('openai.chat')).toBe('openai');
    expect(providerFamily('anthropic.messages')).toBe('anthropic');
    expect(providerFamily('amazon-bedrock')).toBe('aws_bedrock');
    expect(providerFamily(undefined)).toBeUndefined();
  });
});
