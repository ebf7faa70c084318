/** `trackAi`: one finished LLM call as one span, recorded without any I/O on the caller's path. */
import { getClient } from './client.js';
import { currentStore, type Store } from './context.js';
import { log } from './logger.js';
import {
  ATTR,
  buildAttributes,
  INVALID_SPAN_ID,
  recordError,
  startSpan,
  timeInput,
  type SpanFields,
} from './record.js';

/** Fields of `trackAi`. */
export interface TrackAiFields extends SpanFields {
  /** Span name: what happened, e.g. `answer`. Required. */
  event: string;
  /** When the call started (Date or epoch ms). @default now (or `endTime - durationMillis`) */
  startTime?: Date | number;
  /** When the call ended (Date or epoch ms). @default now (or `startTime + durationMillis`) */
  endTime?: Date | number;
  /** Duration, used with whichever of `startTime`/`endTime` is missing. */
  durationMillis?: number;
  /** Token counts: `gen_ai.usage.input_tokens` / `gen_ai.usage.output_tokens`. */
  usage?: { inputTokens?: number; outputTokens?: number };
  /** Marks the call as failed: status ERROR plus an `exception` event. */
  error?: unknown;
}

export function requireName(fn: string, field: string, value: unknown): asserts value is string {
  if (typeof value !== 'string' || value.trim() === '') {
    const got = value === undefined ? 'nothing' : typeof value === 'string' ? 'an empty string' : typeof value;
    throw new TypeError(`${fn}() needs \`${field}\`, a non-empty string naming the span (e.g. "answer"); got ${got}.`);
  }
}

function timing(fields: TrackAiFields): { start?: number; end?: number } {
  let start = timeInput('startTime', fields.startTime);
  let end = timeInput('endTime', fields.endTime);
  const d = fields.durationMillis;
  if (typeof d === 'number' && Number.isFinite(d) && d >= 0) {
    if (start !== undefined && end === undefined) end = start + d;
    else if (start === undefined) {
      end ??= Date.now();
      start = end - d;
    }
  }
  if (start !== undefined && end === undefined) end = Math.max(Date.now(), start);
  if (start !== undefined && end !== undefined && end < start) end = start;
  return { ...(start !== undefined && { start }), ...(end !== undefined && { end }) };
}

/**
 * Records one finished LLM call and returns its span id (16 hex characters). Only enqueues: the
 * export happens later in the background. Returns `0000000000000000` when the SDK is disabled or
 * not initialised. Throws only a `TypeError` when `event` is missing.
 * @example
 * trackAi({ event: 'answer', userId: 'u1', convoId: 'c1', model: 'gpt-4o', provider: 'openai',
 *   input: [{ role: 'user', content: 'hi' }], output: 'hello', usage: { inputTokens: 3, outputTokens: 1 } });
 */
export function trackAi(fields: TrackAiFields): string {
  return trackAiIn(currentStore(), fields);
}

/** `trackAi` with an explicit context: `turn.trackAi()` records under its trajectory this way. */
export function trackAiIn(store: Store | undefined, fields: TrackAiFields): string {
  if (fields === null || typeof fields !== 'object')
    throw new TypeError(
      `trackAi() needs an object of fields with \`event\`; got ${fields === null ? 'null' : typeof fields}.`,
    );
  requireName('trackAi', 'event', fields.event);
  const client = getClient();
  if (!client) return INVALID_SPAN_ID;
  try {
    const attrs = buildAttributes(fields, store, client);
    const usage = fields.usage;
    if (usage && typeof usage === 'object') {
      if (Number.isFinite(usage.inputTokens)) attrs[ATTR.inputTokens] = Math.trunc(usage.inputTokens as number);
      if (Number.isFinite(usage.outputTokens)) attrs[ATTR.outputTokens] = Math.trunc(usage.outputTokens as number);
    }
    const { start, end } = timing(fields);
    const { span } = startSpan(client, fields.event, attrs, store, start);
    if (fields.error !== undefined) recordError(span, fields.error);
    span.end(end);
    return span.spanContext().spanId;
  } catch (error) {
    log.warn(`trackAi() could not record "${fields.event}": ${String(error)}`);
    return INVALID_SPAN_ID;
  }
}
