/**
 * One span per model call, shared by the OpenAI, Anthropic and AI SDK integrations (SPEC §10).
 * The span is built by the core recording machinery (attribute encoding, identity of the scope,
 * parent = the open trajectory, the private provider), so an integration span is exactly what a
 * hand-written `trackAi` would have produced, plus the LLM keys of SPEC §10 (core/keys.ts).
 */
import type { Attributes } from '@opentelemetry/api';
import { encodeProperty } from '../core/attributes.js';
import { getClient, type Client } from '../core/client.js';
import { currentStore, type OpenSpan, type Store } from '../core/context.js';
import { ATTR, SPAN_KIND } from '../core/keys.js';
import { log } from '../core/logger.js';
import {
  buildAttributes,
  closeSpan,
  openSpan,
  patchAttributes,
  recordError,
  startSpan,
  type SpanFields,
} from '../core/record.js';

/** Options shared by `wrapOpenAI`, `wrapAnthropic` and `bentoTelemetry`. Every field is optional. */
export interface IntegrationOptions {
  /** Span name of every call. @default the call's own name, e.g. `openai.chat.completions` */
  event?: string;
  /** Record the request's messages as `input.value`. @default true */
  captureInput?: boolean;
  /** Record the answer as `output.value`. @default true */
  captureOutput?: boolean;
  /** Written on every span, one attribute per key (as `trackAi`'s `properties`). */
  properties?: Record<string, unknown>;
}

/** What a finished call reports. Every field is optional; absent ones write nothing. */
export interface LlmResult {
  responseModel?: unknown;
  output?: unknown;
  /** All input tokens, cached ones included. */
  inputTokens?: unknown;
  outputTokens?: unknown;
  cacheReadTokens?: unknown;
  reasoningTokens?: unknown;
  finishReasons?: unknown[];
  /** Seconds to the first chunk when the caller measured it (the AI SDK does); else our own measure. */
  timeToFirstChunk?: unknown;
}

/** A tool call in `output.value`, the same shape for every provider. */
export interface ToolCallOutput {
  type: 'tool_call';
  id?: unknown;
  name?: unknown;
  arguments?: unknown;
}

/**
 * `output.value` of an answer: the text itself when there are no tool calls; otherwise a JSON
 * array of the tool calls, preceded by `{ type: 'text', text }` when the answer also had text.
 */
export function answerOutput(text: string, toolCalls: ToolCallOutput[]): unknown {
  if (toolCalls.length === 0) return text;
  return text === '' ? toolCalls : [{ type: 'text', text }, ...toolCalls];
}

/** Checked copy of the options: a hostile object fails here, at setup, never on a call. */
export function checkOptions(
  options: IntegrationOptions | undefined,
  fn: string,
): Required<Pick<IntegrationOptions, 'captureInput' | 'captureOutput'>> &
  Pick<IntegrationOptions, 'event' | 'properties'> {
  if (options === undefined) return { captureInput: true, captureOutput: true };
  if (options === null || typeof options !== 'object')
    throw new TypeError(`${fn}: options must be an object; got ${options === null ? 'null' : typeof options}.`);
  let read: IntegrationOptions;
  try {
    // Copied once: a getter that throws fails here, at setup, as a TypeError naming the cause.
    const { event, captureInput, captureOutput, properties } = options;
    read = { event, captureInput, captureOutput, properties: properties && { ...properties } };
  } catch (error) {
    throw new TypeError(`${fn}: reading the options threw: ${String(error)}`, { cause: error });
  }
  const { event, captureInput, captureOutput, properties } = read;
  if (event !== undefined && (typeof event !== 'string' || event.trim() === ''))
    throw new TypeError(`${fn}: \`event\` must be a non-empty string; got ${typeof event}.`);
  for (const [key, v] of [
    ['captureInput', captureInput],
    ['captureOutput', captureOutput],
  ] as const)
    if (v !== undefined && typeof v !== 'boolean')
      throw new TypeError(`${fn}: \`${key}\` must be a boolean; got ${typeof v}.`);
  if (properties !== undefined && (properties === null || typeof properties !== 'object'))
    throw new TypeError(
      `${fn}: \`properties\` must be an object; got ${properties === null ? 'null' : typeof properties}.`,
    );
  return {
    ...(event !== undefined && { event }),
    captureInput: captureInput ?? true,
    captureOutput: captureOutput ?? true,
    ...(properties !== undefined && { properties }),
  };
}

export type CheckedOptions = ReturnType<typeof checkOptions>;

const int = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isFinite(v) && v >= 0 ? Math.trunc(v) : undefined;

/** What starting a span needs; `kind` is `openinference.span.kind`. */
export interface SpanStart {
  name: string;
  kind: 'llm' | 'chain' | 'tool';
  fields: SpanFields;
  /** Parent other than the innermost open span of this context (the AI SDK's call span). */
  parent?: OpenSpan | undefined;
  startTime?: number;
  /** Identity used only where the scope (§6) has none, e.g. the AI SDK's `runtimeContext`. */
  fallback?: { userId?: unknown; convoId?: unknown };
}

/**
 * An integration span: started now, ended once by `finish`, `fail` or `cancel` (whichever comes
 * first; later calls are no-ops). Registered with the adapter's invocation like a tool span, so
 * an invocation that ends while a stream is still unread ends it (`bentolabs.unfinished`) rather
 * than losing it, and the timeout guard can end it. It never becomes the parent of what the
 * caller records next (it is not put in the async context), and a trajectory that finishes first
 * does not end it: a streamed answer usually outlives the handler that started it.
 */
export class RecordedSpan {
  private readonly startedAt = performance.now();
  private firstChunkAt: number | undefined;
  private settled = false;

  private constructor(
    readonly state: OpenSpan,
    private readonly client: Client,
    /** The identity the span was written with, for spans that should carry the same. */
    readonly identity: { userId?: string; convoId?: string },
  ) {}

  /** Starts a span, or returns `undefined` when the SDK is off or recording failed (logged). */
  static start(start: SpanStart, properties?: Record<string, unknown>): RecordedSpan | undefined {
    const client = getClient();
    if (!client) return undefined;
    try {
      const outer = currentStore();
      const store: Store | undefined = start.parent ? { ...outer, span: start.parent } : outer;
      const fields = properties ? { ...start.fields, properties } : start.fields;
      const attrs = buildAttributes(fields, store, client, start.kind === 'tool' ? 'tool' : undefined);
      attrs[ATTR.kind] = SPAN_KIND[start.kind];
      const { userId, convoId } = start.fallback ?? {};
      if (attrs[ATTR.userId] === undefined && typeof userId === 'string' && userId !== '') attrs[ATTR.userId] = userId;
      if (attrs[ATTR.convoId] === undefined && typeof convoId === 'string' && convoId !== '')
        attrs[ATTR.convoId] = convoId;
      const { span, parent } = startSpan(client, start.name, attrs, store, start.startTime);
      const written = (key: string): string | undefined =>
        typeof attrs[key] === 'string' ? (attrs[key] as string) : undefined;
      const identity = { userId: written(ATTR.userId), convoId: written(ATTR.convoId) };
      // Kind 'tool' here is only the core's bookkeeping class: an open span that is not a trajectory.
      return new RecordedSpan(openSpan(span, 'tool', parent, store, {}), client, identity);
    } catch (error) {
      log.warn(`Could not record "${start.name}": ${String(error)}`);
      return undefined;
    }
  }

  get spanId(): string {
    return this.state.span.spanContext().spanId;
  }

  get ended(): boolean {
    return this.settled || this.state.ended;
  }

  /** Marks the first streamed chunk that carried content; only the first call counts. */
  firstChunk(): void {
    this.firstChunkAt ??= performance.now();
  }

  /** Patches span fields (identity, input, output...) while the span is open. */
  patch(fields: SpanFields): void {
    if (!this.ended) this.guard(() => patchAttributes(this.state.span, fields, this.client));
  }

  /** Sets attributes encoded like properties; `undefined` values are skipped. */
  set(attributes: Record<string, unknown>): void {
    if (this.ended) return;
    this.guard(() => {
      const limit = this.client.options.maxAttributeValueLength;
      const attrs: Attributes = {};
      for (const [key, value] of Object.entries(attributes)) {
        const encoded = encodeProperty(value, limit);
        if (encoded !== undefined) attrs[key] = encoded;
      }
      this.state.span.setAttributes(attrs);
    });
  }

  /** Writes a call's result (usage, response model, output...) and ends the span. */
  finish(result: LlmResult, endTime?: number): void {
    if (this.ended) return;
    this.guard(() => this.writeResult(result));
    this.end(endTime);
  }

  /** Ends the span as cancelled, with whatever was assembled so far. */
  cancel(result: LlmResult): void {
    if (this.ended) return;
    this.guard(() => {
      this.writeResult(result);
      this.state.span.setAttribute(ATTR.cancelled, true);
    });
    this.end();
  }

  /** Records the error (status ERROR + `exception` event) and ends the span. */
  fail(error: unknown, partial?: LlmResult, endTime?: number): void {
    if (this.ended) return;
    this.guard(() => {
      if (partial) this.writeResult(partial);
      recordError(this.state.span, error);
    });
    this.end(endTime);
  }

  private writeResult(result: LlmResult): void {
    const attrs: Attributes = {};
    if (typeof result.responseModel === 'string' && result.responseModel !== '')
      attrs[ATTR.responseModel] = result.responseModel;
    const counts = [
      [ATTR.inputTokens, result.inputTokens],
      [ATTR.outputTokens, result.outputTokens],
      [ATTR.cacheReadTokens, result.cacheReadTokens],
      [ATTR.reasoningTokens, result.reasoningTokens],
    ] as const;
    for (const [key, value] of counts) {
      const n = int(value);
      if (n !== undefined) attrs[key] = n;
    }
    const reasons = result.finishReasons?.filter((r): r is string => typeof r === 'string' && r !== '');
    if (reasons && reasons.length > 0) attrs[ATTR.finishReasons] = reasons;
    const given = result.timeToFirstChunk;
    if (typeof given === 'number' && Number.isFinite(given) && given >= 0) attrs[ATTR.timeToFirstChunk] = given;
    else if (this.firstChunkAt !== undefined)
      attrs[ATTR.timeToFirstChunk] = (this.firstChunkAt - this.startedAt) / 1000;
    this.state.span.setAttributes(attrs);
    if (result.output !== undefined) patchAttributes(this.state.span, { output: result.output }, this.client);
  }

  private end(endTime?: number): void {
    this.settled = true;
    try {
      closeSpan(this.state, endTime);
    } catch (error) {
      log.debug(`Ending an integration span failed: ${String(error)}`);
    }
  }

  /** Telemetry never throws into the caller's path. */
  private guard(fn: () => void): void {
    try {
      fn();
    } catch (error) {
      log.debug(`An integration span could not be updated: ${String(error)}`);
    }
  }
}
