/**
 * The wire constants: every attribute key the SDK writes (SPEC §4, §10) and the dev server and
 * dashboard read. One definition, imported by the recording code, `bentolabs dev` and the
 * dashboard's browser bundle alike, so no side can drift from the contract. Nothing here may
 * import anything: the dashboard and the CLI pull this file in on its own.
 */
export const ATTR = {
  userId: 'gen_ai.user.id',
  convoId: 'gen_ai.conversation.id',
  model: 'gen_ai.request.model',
  responseModel: 'gen_ai.response.model',
  provider: 'gen_ai.system',
  input: 'input.value',
  output: 'output.value',
  kind: 'openinference.span.kind',
  tags: 'langfuse.tags',
  inputTokens: 'gen_ai.usage.input_tokens',
  outputTokens: 'gen_ai.usage.output_tokens',
  cacheReadTokens: 'gen_ai.usage.cache_read.input_tokens',
  reasoningTokens: 'gen_ai.usage.reasoning_tokens',
  finishReasons: 'gen_ai.response.finish_reasons',
  timeToFirstChunk: 'gen_ai.response.time_to_first_chunk',
  timedOut: 'bentolabs.timed_out',
  unfinished: 'bentolabs.unfinished',
  /** An integration's stream the caller stopped reading before its end. */
  cancelled: 'bentolabs.cancelled',
} as const;

/** Values of `openinference.span.kind` the SDK writes (`trackAi` and `begin` write none). */
export const SPAN_KIND = { tool: 'tool', llm: 'llm', chain: 'chain', agent: 'agent' } as const;

/** Resource attributes. `unknown_service:` is OpenTelemetry's prefix for "no name was configured". */
export const RESOURCE = {
  serviceName: 'service.name',
  unknownServicePrefix: 'unknown_service',
} as const;

/** OTLP status code of a failed span (`STATUS_CODE_ERROR`). */
export const STATUS_ERROR = 2;

/** OpenTelemetry's invalid span id, which recording calls return when the SDK is off. */
export const INVALID_SPAN_ID = '0000000000000000';
