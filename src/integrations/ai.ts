/**
 * `@bentolabs/sdk/ai`: `bentoTelemetry()` is a Vercel AI SDK 7 telemetry integration (AI SDK 7
 * emits nothing until one is registered). Each `generateText` / `streamText` / `generateObject` /
 * `streamObject` call becomes one `chain` span, with one `llm` span per model call and one `tool`
 * span per tool execution under it (SPEC §10). The event shapes are declared structurally from
 * the installed `ai` package's `Telemetry` interface, so this entry never imports `ai`.
 */
import { currentStore, storage } from '../core/context.js';
import { log } from '../core/logger.js';
import {
  answerOutput,
  checkOptions,
  type CheckedOptions,
  type IntegrationOptions,
  type LlmResult,
  RecordedSpan,
  type ToolCallOutput,
} from './llm-span.js';
import { withSystem, list, obj, type Json } from './wrap-method.js';

export type { IntegrationOptions as BentoTelemetryOptions } from './llm-span.js';

type Event = Json & { callId?: unknown };

/** The operations SPEC §10 records; embeddings, reranking, speech... fire `onStart` too and are skipped. */
const OPERATIONS = new Set(['ai.generateText', 'ai.streamText', 'ai.generateObject', 'ai.streamObject']);

/**
 * `gen_ai.system` is the provider's family: the AI SDK's provider id up to its first dot
 * (`openai.chat` → `openai`, `anthropic.messages` → `anthropic`); `amazon-bedrock` is written
 * `aws_bedrock`, the name the rest of the SDK uses for Bedrock.
 */
export function providerFamily(provider: unknown): string | undefined {
  if (typeof provider !== 'string' || provider === '') return undefined;
  const family = provider.split('.')[0]!;
  return family === 'amazon-bedrock' ? 'aws_bedrock' : family;
}

/** A model call waiting for its step's end, which carries the response model. */
interface PendingLlm {
  span: RecordedSpan;
  result?: LlmResult;
  endTime?: number;
}

interface CallState {
  chain: RecordedSpan;
  streaming: boolean;
  llm?: PendingLlm;
  tools: Map<string, RecordedSpan>;
}

function usage(u: unknown): LlmResult {
  const x = obj(u);
  return {
    inputTokens: x.inputTokens,
    outputTokens: x.outputTokens,
    cacheReadTokens: obj(x.inputTokenDetails).cacheReadTokens,
    reasoningTokens: obj(x.outputTokenDetails).reasoningTokens,
  };
}

/** Text and tool calls of a model call's content parts, in the shape the other integrations use. */
function contentOutput(content: unknown): unknown {
  let text = '';
  const calls: ToolCallOutput[] = [];
  for (const part of list(content).map(obj)) {
    if (part.type === 'text' && typeof part.text === 'string') text += part.text;
    else if (part.type === 'tool-call')
      calls.push({
        type: 'tool_call',
        id: part.toolCallId,
        name: part.toolName,
        arguments: typeof part.input === 'string' ? part.input : JSON.stringify(part.input ?? {}),
      });
  }
  return answerOutput(text, calls);
}

const eventTime = (e: Event): number => (typeof e.timestamp === 'number' ? e.timestamp : Date.now());

/** The integration object; one per `bentoTelemetry()` call, its state keyed by the AI SDK's `callId`. */
class BentoTelemetry {
  private readonly calls = new Map<unknown, CallState>();

  constructor(private readonly options: CheckedOptions) {}

  private input(e: Event, value: unknown): unknown {
    return this.options.captureInput && e.recordInputs !== false ? value : undefined;
  }

  private output(e: Event, value: unknown): unknown {
    return this.options.captureOutput && e.recordOutputs !== false ? value : undefined;
  }

  onStart(e: Event): void {
    const operation = String(e.operationId ?? '');
    if (!OPERATIONS.has(operation)) return;
    // A call whose span was ended from outside (an invocation that closed first) never reports its end.
    for (const [id, state] of this.calls) if (state.chain.ended) this.calls.delete(id);
    const runtime = obj(e.runtimeContext);
    const chain = RecordedSpan.start(
      {
        name:
          this.options.event ??
          (typeof e.functionId === 'string' && e.functionId !== '' ? e.functionId : operation.replace(/^ai\./, '')),
        kind: 'chain',
        fields: {
          provider: providerFamily(e.provider),
          model: e.modelId as string | undefined,
          input: this.input(e, withSystem(e.instructions ?? e.system, e.messages ?? e.prompt)),
        },
        fallback: { userId: runtime.userId, convoId: runtime.convoId },
        startTime: eventTime(e),
      },
      this.options.properties,
    );
    if (chain) this.calls.set(e.callId, { chain, streaming: operation.includes('stream'), tools: new Map() });
  }

  private child(
    state: CallState,
    name: string,
    kind: 'llm' | 'tool',
    e: Event,
    input: unknown,
  ): RecordedSpan | undefined {
    return RecordedSpan.start(
      {
        name,
        kind,
        parent: state.chain.state,
        fields: {
          ...state.chain.identity,
          ...(kind === 'llm' && { provider: providerFamily(e.provider), model: e.modelId as string | undefined }),
          input: this.input(e, input),
        },
        startTime: eventTime(e),
      },
      this.options.properties,
    );
  }

  private startLlm(e: Event, input: unknown): void {
    const state = this.calls.get(e.callId);
    if (!state) return;
    this.settleLlm(state);
    const span = this.child(state, typeof e.provider === 'string' ? e.provider : 'llm', 'llm', e, input);
    if (span) state.llm = { span };
  }

  private endLlm(e: Event, result: LlmResult): void {
    const state = this.calls.get(e.callId);
    if (!state?.llm) return;
    state.llm.result = { ...result, output: this.output(e, result.output) };
    state.llm.endTime = eventTime(e);
  }

  /** Ends the pending model call (at the time it ended), with what the step end added. */
  private settleLlm(state: CallState, responseModel?: unknown): void {
    const pending = state.llm;
    state.llm = undefined;
    if (!pending) return;
    if (pending.result) pending.span.finish({ ...pending.result, responseModel }, pending.endTime);
    else pending.span.cancel({});
  }

  onLanguageModelCallStart(e: Event): void {
    this.startLlm(e, withSystem(e.instructions, e.messages));
  }

  onLanguageModelCallEnd(e: Event): void {
    const state = this.calls.get(e.callId);
    const ttfc = obj(e.performance).timeToFirstOutputMs;
    this.endLlm(e, {
      output: contentOutput(e.content),
      finishReasons: [e.finishReason],
      ...usage(e.usage),
      ...(state?.streaming && typeof ttfc === 'number' && { timeToFirstChunk: ttfc / 1000 }),
    });
  }

  onObjectStepStart(e: Event): void {
    this.startLlm(e, e.promptMessages);
  }

  onObjectStepEnd(e: Event): void {
    const ms = e.msToFirstChunk;
    this.endLlm(e, {
      output: e.objectText,
      finishReasons: [e.finishReason],
      ...usage(e.usage),
      ...(typeof ms === 'number' && { timeToFirstChunk: ms / 1000 }),
    });
    const state = this.calls.get(e.callId);
    if (state) this.settleLlm(state, obj(e.response).modelId);
  }

  onStepEnd(e: Event): void {
    const state = this.calls.get(e.callId);
    if (state) this.settleLlm(state, obj(e.response).modelId);
  }

  onStepError(e: Event): void {
    const state = this.calls.get(e.callId);
    const pending = state?.llm;
    if (!state || !pending) return;
    state.llm = undefined;
    pending.span.fail(e.error, pending.result, pending.endTime);
  }

  onToolExecutionStart(e: Event): void {
    const state = this.calls.get(e.callId);
    const call = obj(e.toolCall);
    if (!state || typeof call.toolCallId !== 'string') return;
    const span = this.child(state, String(call.toolName ?? 'tool'), 'tool', e, call.input);
    if (span) state.tools.set(call.toolCallId, span);
  }

  onToolExecutionEnd(e: Event): void {
    const state = this.calls.get(e.callId);
    const id = obj(e.toolCall).toolCallId;
    const span = typeof id === 'string' ? state?.tools.get(id) : undefined;
    if (!state || !span) return;
    state.tools.delete(id as string);
    const out = obj(e.toolOutput);
    if (out.type === 'tool-error') span.fail(out.error);
    else span.finish({ output: this.output(e, out.output) });
  }

  /** Runs the tool inside its span, so what the tool records (a nested call) nests under it. */
  executeTool<T>(options: { callId: string; toolCallId: string; execute: () => PromiseLike<T> }): PromiseLike<T> {
    const span = this.calls.get(options.callId)?.tools.get(options.toolCallId);
    if (!span) return options.execute();
    return storage.run({ ...currentStore(), span: span.state }, () => options.execute());
  }

  onEnd(e: Event): void {
    const state = this.calls.get(e.callId);
    if (!state) return;
    this.calls.delete(e.callId);
    this.settleLlm(state, obj(obj(e.finalStep).response).modelId ?? obj(e.response).modelId);
    for (const tool of state.tools.values()) tool.cancel({});
    const output = 'object' in e ? (e.error === undefined ? e.object : undefined) : e.text;
    if (e.error !== undefined && e.error !== null) state.chain.fail(e.error, { output: this.output(e, output) });
    else state.chain.finish({ output: this.output(e, output) }, eventTime(e));
  }

  onError(e: Event): void {
    const state = this.calls.get(e.callId);
    if (!state) return;
    this.calls.delete(e.callId);
    const pending = state.llm;
    state.llm = undefined;
    pending?.span.fail(e.error, pending.result, pending.endTime);
    for (const tool of state.tools.values()) tool.fail(e.error);
    state.chain.fail(e.error);
  }

  onAbort(e: Event): void {
    const state = this.calls.get(e.callId);
    if (!state) return;
    this.calls.delete(e.callId);
    state.llm?.span.cancel({});
    for (const tool of state.tools.values()) tool.cancel({});
    state.chain.cancel({});
  }
}

/** The event hooks, each guarded: a telemetry failure is logged, never thrown into the AI SDK. */
const HOOKS = [
  'onStart',
  'onLanguageModelCallStart',
  'onLanguageModelCallEnd',
  'onObjectStepStart',
  'onObjectStepEnd',
  'onStepEnd',
  'onStepError',
  'onToolExecutionStart',
  'onToolExecutionEnd',
  'onEnd',
  'onError',
  'onAbort',
] as const;

/** What `bentoTelemetry()` returns: an object with the AI SDK 7 `Telemetry` methods it uses. */
export type BentoTelemetryIntegration = {
  [K in Exclude<(typeof HOOKS)[number], 'onError'>]: (event: object) => void;
} & {
  onError(event: unknown): void;
  executeTool<T>(options: { callId: string; toolCallId: string; execute: () => PromiseLike<T> }): PromiseLike<T>;
};

/**
 * A Vercel AI SDK 7 telemetry integration: pass it per call (`telemetry: { integrations:
 * [bentoTelemetry()] }`) or for every call (`registerTelemetry(bentoTelemetry())`). Identity comes
 * from the scope (trajectory, `propagateAttributes`, `init`), else from `runtimeContext.userId` /
 * `convoId` when the call includes them (`telemetry.includeRuntimeContext: { userId: true, convoId: true }`).
 * @example
 * import { generateText } from 'ai';
 * import { bentoTelemetry } from '@bentolabs/sdk/ai';
 * const { text } = await generateText({ model, prompt: 'hi', runtimeContext: { userId: 'u1' },
 *   telemetry: { integrations: [bentoTelemetry()], includeRuntimeContext: { userId: true } } });
 */
export function bentoTelemetry(options?: IntegrationOptions): BentoTelemetryIntegration {
  const impl = new BentoTelemetry(checkOptions(options, 'bentoTelemetry()'));
  const integration = {} as Record<string, unknown>;
  for (const hook of HOOKS) {
    integration[hook] = (event: Event) => {
      try {
        impl[hook](obj(event) as Event);
      } catch (error) {
        log.debug(`bentoTelemetry ${hook} failed: ${String(error)}`);
      }
    };
  }
  integration.executeTool = (o: { callId: string; toolCallId: string; execute: () => PromiseLike<unknown> }) =>
    impl.executeTool(o);
  return integration as BentoTelemetryIntegration;
}
