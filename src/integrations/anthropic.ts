/**
 * `@bentolabs/sdk/anthropic`: `wrapAnthropic(client)` records every `messages.create` call of an
 * `@anthropic-ai/sdk` client (streamed or not) and every `messages.stream()` (which calls
 * `messages.create` itself) as one LLM span (SPEC §10). `@anthropic-ai/sdk` is never imported.
 */
import {
  answerOutput,
  checkOptions,
  type CheckedOptions,
  type IntegrationOptions,
  type LlmResult,
  type RecordedSpan,
  type ToolCallOutput,
} from './llm-span.js';
import type { CallObserver } from './observe.js';
import { str, withSystem, wrapDerived, wrapMethod, type CallRecipe, list, obj, type Json } from './wrap-method.js';

export type { IntegrationOptions as AnthropicOptions } from './llm-span.js';

const count = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

/**
 * Anthropic reports cache reads and writes beside `input_tokens`; SPEC §10's input count is all
 * input tokens, so the three are added (absent when the API reported none of them).
 */
function usage(u: Json): LlmResult {
  const parts = [u.input_tokens, u.cache_read_input_tokens, u.cache_creation_input_tokens];
  return {
    inputTokens: parts.some((p) => typeof p === 'number') ? parts.reduce<number>((n, p) => n + count(p), 0) : undefined,
    outputTokens: u.output_tokens,
    cacheReadTokens: u.cache_read_input_tokens,
  };
}

const isToolUse = (type: unknown): boolean => type === 'tool_use' || type === 'server_tool_use';

/** A non-streamed Message. */
function messageResult(body: unknown): LlmResult {
  const b = obj(body);
  let text = '';
  const calls: ToolCallOutput[] = [];
  for (const block of list(b.content).map(obj)) {
    if (block.type === 'text') text += str(block.text) ?? '';
    else if (isToolUse(block.type))
      calls.push({ type: 'tool_call', id: block.id, name: block.name, arguments: JSON.stringify(block.input ?? {}) });
  }
  return {
    responseModel: b.model,
    output: answerOutput(text, calls),
    finishReasons: [b.stop_reason],
    ...usage(obj(b.usage)),
  };
}

/** Assembles a streamed Message from its events. */
class MessageEvents {
  private model: unknown;
  private stopReason: unknown;
  private readonly usage: Json = {};
  private readonly blocks = new Map<number, { type: unknown; text: string; id?: unknown; name?: unknown }>();

  /** Adds an event; true when it carried content (a text, tool-input or thinking delta). */
  add(event: unknown): boolean {
    const e = obj(event);
    switch (e.type) {
      case 'message_start': {
        const message = obj(e.message);
        this.model = message.model;
        Object.assign(this.usage, obj(message.usage));
        return false;
      }
      case 'content_block_start': {
        const block = obj(e.content_block);
        const index = typeof e.index === 'number' ? e.index : this.blocks.size;
        this.blocks.set(index, { type: block.type, text: str(block.text) ?? '', id: block.id, name: block.name });
        return false;
      }
      case 'content_block_delta': {
        const delta = obj(e.delta);
        const block = this.blocks.get(typeof e.index === 'number' ? e.index : -1);
        const piece = str(delta.text) ?? str(delta.partial_json);
        if (block && piece !== undefined) block.text += piece;
        return true;
      }
      case 'message_delta': {
        this.stopReason = obj(e.delta).stop_reason ?? this.stopReason;
        // Counts here are cumulative and win over message_start's (which has output_tokens: 1).
        for (const [key, value] of Object.entries(obj(e.usage))) if (value !== null) this.usage[key] = value;
        return false;
      }
      default:
        return false;
    }
  }

  result(): LlmResult {
    let text = '';
    const calls: ToolCallOutput[] = [];
    for (const [, block] of [...this.blocks.entries()].sort(([a], [b]) => a - b)) {
      if (block.type === 'text') text += block.text;
      else if (isToolUse(block.type))
        calls.push({ type: 'tool_call', id: block.id, name: block.name, arguments: block.text || '{}' });
    }
    return {
      responseModel: this.model,
      output: answerOutput(text, calls),
      ...(this.stopReason !== undefined && { finishReasons: [this.stopReason] }),
      ...usage(this.usage),
    };
  }
}

function observer(span: RecordedSpan, options: CheckedOptions): CallObserver<unknown> {
  const events = new MessageEvents();
  const out = (r: LlmResult): LlmResult => (options.captureOutput ? r : { ...r, output: undefined });
  return {
    value: (body) => span.finish(out(messageResult(body))),
    chunk: (event) => {
      if (events.add(event)) span.firstChunk();
    },
    end: (aborted) => (aborted ? span.cancel(out(events.result())) : span.finish(out(events.result()))),
    cancel: () => span.cancel(out(events.result())),
    fail: (error) => span.fail(error, out(events.result())),
  };
}

const messagesRecipe = (event: string | undefined): CallRecipe => ({
  start: (params, options) => ({
    name: event ?? 'anthropic.messages',
    kind: 'llm',
    fields: {
      provider: 'anthropic',
      model: params.model as string | undefined,
      input: options.captureInput ? withSystem(params.system, params.messages) : undefined,
    },
  }),
  observe: (span, _params, options) => observer(span, options),
});

/** The structural shape `wrapAnthropic` needs: an `@anthropic-ai/sdk` client. */
export interface AnthropicClientLike {
  messages?: { create?: unknown };
}

/**
 * Records every `messages.create` call (streamed or not) and every `messages.stream()` of an
 * Anthropic client as one LLM span, and returns the same client with its type unchanged. Streams
 * and `MessageStream` helpers (`finalMessage()`, `on('text')`...) reach the caller unchanged; the
 * span ends when the stream is read to the end, cancelled or fails. Errors are rethrown as they are.
 * @example
 * import Anthropic from '@anthropic-ai/sdk';
 * import { wrapAnthropic } from '@bentolabs/sdk/anthropic';
 * const anthropic = wrapAnthropic(new Anthropic());
 * const message = await anthropic.messages.stream({ model: 'claude-sonnet-4-5', max_tokens: 1024,
 *   messages: [{ role: 'user', content: 'hi' }] }).finalMessage();
 */
export function wrapAnthropic<C extends AnthropicClientLike>(client: C, options?: IntegrationOptions): C {
  if (client === null || typeof client !== 'object')
    throw new TypeError(
      `wrapAnthropic() expects an Anthropic client; got ${client === null ? 'null' : typeof client}.`,
    );
  const checked = checkOptions(options, 'wrapAnthropic()');
  const apply = (target: AnthropicClientLike): boolean =>
    wrapMethod(target.messages, 'create', messagesRecipe(checked.event), checked);
  if (!apply(client))
    throw new TypeError(
      'wrapAnthropic() expects an Anthropic client (with `messages.create`); got an object without it.',
    );
  wrapDerived(client, (derived) => apply(derived as AnthropicClientLike));
  return client;
}
