/**
 * The fake provider checked on its own, without the SDK: each real client library, pointed at it
 * with `baseURL`, gets the right answers (JSON and streamed, tool calls, usage, errors). The
 * integration tests rely on this, so a wrong fake cannot make a wrong integration look right.
 */
import Anthropic from '@anthropic-ai/sdk';
import { createOpenAI } from '@ai-sdk/openai';
import { generateText, jsonSchema, stepCountIs, streamText, tool } from 'ai';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  ANSWER,
  ANTHROPIC_USAGE,
  CHUNKS,
  FakeLlmServer,
  responseModel,
  TOOL_ANSWER,
  TOOL_ARGS,
  USAGE,
} from '../support/fake-llm-server.js';
import { NODE_OK } from './helpers.js';

describe.skipIf(!NODE_OK)('the fake provider, through the real clients (no SDK)', () => {
  let fake: FakeLlmServer;
  let openai: OpenAI;
  let anthropic: Anthropic;
  beforeAll(async () => {
    fake = await FakeLlmServer.start();
    openai = new OpenAI({ apiKey: 'sk-test', baseURL: fake.openaiBaseUrl, maxRetries: 0 });
    anthropic = new Anthropic({ apiKey: 'sk-ant-test', baseURL: fake.url, maxRetries: 0 });
  });
  afterAll(() => fake.close());

  test('OpenAI chat completions: JSON, stream with usage, tool calls, 429 and 500', async () => {
    const messages = [{ role: 'user' as const, content: 'hi' }];
    const completion = await openai.chat.completions.create({ model: 'gpt-test', messages });
    expect(completion.choices[0]?.message.content).toBe(ANSWER);
    expect(completion.model).toBe(responseModel('gpt-test'));
    expect(completion.usage?.prompt_tokens_details?.cached_tokens).toBe(USAGE.cached);
    expect(completion.usage?.completion_tokens_details?.reasoning_tokens).toBe(USAGE.reasoning);

    const stream = await openai.chat.completions.create({
      model: 'gpt-test',
      messages,
      stream: true,
      stream_options: { include_usage: true },
    });
    const deltas: string[] = [];
    let usage: OpenAI.CompletionUsage | undefined | null;
    for await (const chunk of stream) {
      if (chunk.choices[0]?.delta.content) deltas.push(chunk.choices[0].delta.content);
      if (chunk.usage) usage = chunk.usage;
    }
    expect(deltas).toEqual(CHUNKS);
    expect(usage?.prompt_tokens).toBe(USAGE.input);

    const tools = await openai.chat.completions.create({ model: 'gpt-tools', messages });
    expect(tools.choices[0]?.finish_reason).toBe('tool_calls');
    const call = tools.choices[0]?.message.tool_calls?.[0];
    expect(call?.type === 'function' && call.function).toEqual({ name: 'get_weather', arguments: TOOL_ARGS });

    const runner = openai.chat.completions.stream({ model: 'gpt-tools', messages });
    const final = await runner.finalChatCompletion();
    const streamed = final.choices[0]?.message.tool_calls?.[0];
    expect(streamed?.type === 'function' && streamed.function.arguments).toBe(TOOL_ARGS);

    await expect(openai.chat.completions.create({ model: 'error-429', messages })).rejects.toBeInstanceOf(
      OpenAI.RateLimitError,
    );
    await expect(openai.chat.completions.create({ model: 'error-500', messages })).rejects.toBeInstanceOf(
      OpenAI.InternalServerError,
    );
  });

  test('OpenAI responses: JSON, stream events, function calls', async () => {
    const response = await openai.responses.create({ model: 'gpt-test', input: 'hi' });
    expect(response.output_text).toBe(ANSWER);
    expect(response.usage?.output_tokens_details.reasoning_tokens).toBe(USAGE.reasoning);
    const stream = await openai.responses.create({ model: 'gpt-test', input: 'hi', stream: true });
    const deltas: string[] = [];
    let completed: OpenAI.Responses.Response | undefined;
    for await (const event of stream) {
      if (event.type === 'response.output_text.delta') deltas.push(event.delta);
      if (event.type === 'response.completed') completed = event.response;
    }
    expect(deltas).toEqual(CHUNKS);
    expect(completed?.output_text ?? completed?.output).toBeTruthy();
    const tools = await openai.responses.create({ model: 'gpt-tools', input: 'weather?' });
    expect(tools.output[0]).toMatchObject({ type: 'function_call', name: 'get_weather', arguments: TOOL_ARGS });
  });

  test('Anthropic messages: JSON, stream, messages.stream() helpers, tool use, errors', async () => {
    const params = { model: 'claude-test', max_tokens: 100, messages: [{ role: 'user' as const, content: 'hi' }] };
    const message = await anthropic.messages.create(params);
    expect(message.content[0]).toMatchObject({ type: 'text', text: ANSWER });
    expect(message.usage.cache_read_input_tokens).toBe(ANTHROPIC_USAGE.cacheRead);
    const stream = await anthropic.messages.create({ ...params, stream: true });
    const deltas: string[] = [];
    for await (const event of stream)
      if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') deltas.push(event.delta.text);
    expect(deltas).toEqual(CHUNKS);
    const helper = anthropic.messages.stream(params);
    const final = await helper.finalMessage();
    expect(final.content[0]).toMatchObject({ type: 'text', text: ANSWER });
    expect(final.usage.output_tokens).toBe(ANTHROPIC_USAGE.output);
    const tools = await anthropic.messages.stream({ ...params, model: 'claude-tools' }).finalMessage();
    expect(tools.content[0]).toMatchObject({ type: 'tool_use', name: 'get_weather', input: JSON.parse(TOOL_ARGS) });
    await expect(anthropic.messages.create({ ...params, model: 'error-429' })).rejects.toBeInstanceOf(
      Anthropic.RateLimitError,
    );
  });

  test('AI SDK 7 with @ai-sdk/openai: chat and responses models, streamText, a tool loop', async () => {
    const provider = createOpenAI({ apiKey: 'sk-test', baseURL: fake.openaiBaseUrl });
    const chat = await generateText({ model: provider.chat('gpt-test'), prompt: 'hi' });
    expect(chat.text).toBe(ANSWER);
    expect(chat.usage.inputTokenDetails.cacheReadTokens).toBe(USAGE.cached);
    const responses = await generateText({ model: provider('gpt-test'), prompt: 'hi' });
    expect(responses.text).toBe(ANSWER);
    expect(responses.usage.outputTokenDetails.reasoningTokens).toBe(USAGE.reasoning);
    const streamed = streamText({ model: provider('gpt-test'), prompt: 'hi' });
    const parts: string[] = [];
    for await (const part of streamed.textStream) parts.push(part);
    expect(parts.join('')).toBe(ANSWER);
    const looped = await generateText({
      model: provider.chat('gpt-tools'),
      prompt: 'weather in Paris?',
      stopWhen: stepCountIs(3),
      tools: {
        get_weather: tool({
          inputSchema: jsonSchema<{ city: string }>({ type: 'object', properties: { city: { type: 'string' } } }),
          execute: async ({ city }) => ({ city, sky: 'sunny' }),
        }),
      },
    });
    expect(looped.text).toBe(TOOL_ANSWER);
    expect(looped.steps).toHaveLength(2);
  });
});
