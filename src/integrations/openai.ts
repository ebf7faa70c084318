/**
 * `@bentolabs/sdk/openai`: `wrapOpenAI(client)` records every `chat.completions.create` and
 * `responses.create` call of an `openai` client (streamed or not) as one LLM span (SPEC §10).
 * This entry never imports `openai`: the client is read structurally, so any 4.x+ client works
 * and `openai` stays an optional peer dependency.
 */
import {
  answerOutput,
  checkOptions,
  type IntegrationOptions,
  type LlmResult,
  type ToolCallOutput,
} from './llm-span.js';
import type { CallObserver } from './observe.js';
import { str, withSystem, wrapDerived, wrapMethod, type CallRecipe, list, obj } from './wrap-method.js';

export type { IntegrationOptions as OpenAIOptions } from './llm-span.js';

function chatUsage(usage: unknown): LlmResult {
  const u = obj(usage);
  return {
    inputTokens: u.prompt_tokens,
    outputTokens: u.completion_tokens,
    cacheReadTokens: obj(u.prompt_tokens_details).cached_tokens,
    reasoningTokens: obj(u.completion_tokens_details).reasoning_tokens,
  };
}

function chatToolCall(call: unknown): ToolCallOutput {
  const c = obj(call);
  const fn = obj(c.function ?? c.custom);
  return { type: 'tool_call', id: c.id, name: fn.name, arguments: fn.arguments ?? fn.input };
}

/** A non-streamed chat completion. */
function chatResult(body: unknown): LlmResult {
  const b = obj(body);
  const choices = list(b.choices).map(obj);
  const message = obj(choices[0]?.message);
  const text = str(message.content) ?? str(message.refusal) ?? '';
  return {
    responseModel: b.model,
    output: answerOutput(text, list(message.tool_calls).map(chatToolCall)),
    finishReasons: choices.map((c) => c.finish_reason),
    ...chatUsage(b.usage),
  };
}

/** Assembles a streamed chat completion from its chunks (the first choice's answer). */
class ChatStream {
  private text = '';
  private readonly tools = new Map<number, { id?: unknown; name: string; arguments: string }>();
  private readonly reasons: unknown[] = [];
  private model: unknown;
  private usage: unknown;

  /** Adds a chunk; true when it carried answer content (text or a tool call). */
  add(chunk: unknown): boolean {
    const c = obj(chunk);
    this.model ??= c.model;
    if (c.usage) this.usage = c.usage;
    let content = false;
    for (const raw of list(c.choices)) {
      const choice = obj(raw);
      const index = typeof choice.index === 'number' ? choice.index : 0;
      if (choice.finish_reason) this.reasons[index] = choice.finish_reason;
      if (index !== 0) continue;
      const delta = obj(choice.delta);
      const text = str(delta.content) ?? str(delta.refusal);
      if (text) {
        this.text += text;
        content = true;
      }
      for (const call of list(delta.tool_calls).map(obj)) {
        const at = typeof call.index === 'number' ? call.index : this.tools.size;
        const entry = this.tools.get(at) ?? { name: '', arguments: '' };
        const fn = obj(call.function);
        if (call.id !== undefined) entry.id = call.id;
        entry.name += str(fn.name) ?? '';
        entry.arguments += str(fn.arguments) ?? '';
        this.tools.set(at, entry);
        content = true;
      }
    }
    return content;
  }

  result(): LlmResult {
    const calls = [...this.tools.entries()]
      .sort(([a], [b]) => a - b)
      .map(([, t]): ToolCallOutput => ({ type: 'tool_call', id: t.id, name: t.name, arguments: t.arguments }));
    return {
      responseModel: this.model,
      output: answerOutput(this.text, calls),
      finishReasons: this.reasons.filter((r) => r !== undefined),
      ...chatUsage(this.usage),
    };
  }
}

/** A Responses API response object (non-streamed, or the one `response.completed` carries). */
function responsesResult(body: unknown): LlmResult {
  const b = obj(body);
  let text = '';
  const calls: ToolCallOutput[] = [];
  for (const item of list(b.output).map(obj)) {
    if (item.type === 'message')
      for (const part of list(item.content).map(obj)) text += str(part.text) ?? str(part.refusal) ?? '';
    else if (item.type === 'function_call' || item.type === 'custom_tool_call')
      calls.push({ type: 'tool_call', id: item.call_id, name: item.name, arguments: item.arguments ?? item.input });
  }
  const u = obj(b.usage);
  // The Responses API has no finish reasons (SPEC §10): none are written.
  return {
    responseModel: b.model,
    output: answerOutput(text, calls),
    inputTokens: u.input_tokens,
    outputTokens: u.output_tokens,
    cacheReadTokens: obj(u.input_tokens_details).cached_tokens,
    reasoningTokens: obj(u.output_tokens_details).reasoning_tokens,
  };
}

/** Follows a Responses event stream; the final response object carries the whole result. */
class ResponsesStream {
  private text = '';
  private final: unknown;
  failure: unknown;

  add(event: unknown): boolean {
    const e = obj(event);
    const type = str(e.type) ?? '';
    if (type === 'response.output_text.delta') this.text += str(e.delta) ?? '';
    else if (type === 'response.completed' || type === 'response.incomplete') this.final = e.response;
    else if (type === 'response.failed') {
      this.final = e.response;
      const error = obj(obj(e.response).error);
      this.failure = Object.assign(new Error(str(error.message) ?? 'The response failed'), { code: error.code });
    }
    return type.endsWith('.delta');
  }

  result(): LlmResult {
    return this.final !== undefined ? responsesResult(this.final) : { output: this.text };
  }
}

/** Observer for one call: fills `span` from a JSON body or from the chunks of a stream. */
function observer(
  span: Parameters<CallRecipe['observe']>[0],
  options: Parameters<CallRecipe['observe']>[2],
  fromBody: (body: unknown) => LlmResult,
  stream: { add(chunk: unknown): boolean; result(): LlmResult; failure?: unknown },
): CallObserver<unknown> {
  const withoutOutput = (r: LlmResult): LlmResult => (options.captureOutput ? r : { ...r, output: undefined });
  return {
    value: (body) => span.finish(withoutOutput(fromBody(body))),
    chunk: (chunk) => {
      if (stream.add(chunk)) span.firstChunk();
    },
    end: (aborted) => {
      const result = withoutOutput(stream.result());
      if (stream.failure !== undefined) span.fail(stream.failure, result);
      else if (aborted) span.cancel(result);
      else span.finish(result);
    },
    cancel: () => span.cancel(withoutOutput(stream.result())),
    fail: (error) => span.fail(error, withoutOutput(stream.result())),
  };
}

const chatRecipe = (event: string | undefined): CallRecipe => ({
  start: (params, options) => ({
    name: event ?? 'openai.chat.completions',
    kind: 'llm',
    fields: {
      provider: 'openai',
      model: params.model as string | undefined,
      input: options.captureInput ? params.messages : undefined,
    },
  }),
  observe: (span, _params, options) => observer(span, options, chatResult, new ChatStream()),
});

const responsesRecipe = (event: string | undefined): CallRecipe => ({
  start: (params, options) => ({
    name: event ?? 'openai.responses',
    kind: 'llm',
    fields: {
      provider: 'openai',
      model: params.model as string | undefined,
      input: options.captureInput ? withSystem(params.instructions, params.input) : undefined,
    },
  }),
  observe: (span, _params, options) => observer(span, options, responsesResult, new ResponsesStream()),
});

/** The structural shape `wrapOpenAI` needs: an `openai` client (or anything with these methods). */
export interface OpenAIClientLike {
  chat?: { completions?: { create?: unknown } };
  responses?: { create?: unknown };
}

/**
 * Records every `chat.completions.create` and `responses.create` call of an `openai` client as
 * one LLM span, streamed or not, and returns the same client with its type unchanged. Streams
 * reach the caller unchanged; their span ends when the stream is read to the end, cancelled or
 * fails. Errors are rethrown as they are.
 * @example
 * import OpenAI from 'openai';
 * import { wrapOpenAI } from '@bentolabs/sdk/openai';
 * const openai = wrapOpenAI(new OpenAI());
 * const answer = await openai.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] });
 */
export function wrapOpenAI<C extends OpenAIClientLike>(client: C, options?: IntegrationOptions): C {
  if (client === null || typeof client !== 'object')
    throw new TypeError(`wrapOpenAI() expects an OpenAI client; got ${client === null ? 'null' : typeof client}.`);
  const checked = checkOptions(options, 'wrapOpenAI()');
  const apply = (target: OpenAIClientLike): boolean => {
    const chat = wrapMethod(target.chat?.completions, 'create', chatRecipe(checked.event), checked);
    const responses = wrapMethod(target.responses, 'create', responsesRecipe(checked.event), checked);
    return chat || responses;
  };
  if (!apply(client))
    throw new TypeError(
      'wrapOpenAI() expects an OpenAI client (with `chat.completions.create` or `responses.create`); got an object without either.',
    );
  wrapDerived(client, (derived) => apply(derived as OpenAIClientLike));
  return client;
}
