/**
 * Building Bento spans: attribute mapping (SPEC §4), identity precedence (§6), parent choice
 * (§5: only an open Bento span can be a parent) and per-invocation bookkeeping.
 */
import { SpanStatusCode, type Attributes, type Span, type TimeInput } from '@opentelemetry/api';
import { encodePayload, encodeProperties, safeJson, truncate } from './attributes.js';
import type { Client } from './client.js';
import type { IdentitySource } from './config.js';
import { ATTR } from './keys.js';
import {
  innermostOpen,
  innermostTrajectory,
  liveInvocation,
  type Identity,
  type OpenSpan,
  type Store,
} from './context.js';
import { diagnoseFields } from './field-checks.js';
import { log, RateLimitedLog } from './logger.js';
import { trackOpen, untrackOpen } from './open-spans.js';

/** Fields shared by `trackAi`, `begin` and `toolSpan`. Unpassed fields write no attribute. */
export interface SpanFields {
  /** `gen_ai.user.id`. */
  userId?: string;
  /** `gen_ai.conversation.id`: the same value on every turn of a conversation. */
  convoId?: string;
  /** `gen_ai.request.model`. */
  model?: string;
  /** `gen_ai.system`, e.g. `openai`, `anthropic`, `aws_bedrock`; never inferred from `model`. */
  provider?: string;
  /** `input.value`: a string as-is, anything else as JSON. */
  input?: unknown;
  /** `output.value`: a string as-is, anything else as JSON. */
  output?: unknown;
  /** One attribute per key, type kept for primitives and homogeneous arrays. */
  properties?: Record<string, unknown>;
  /** `langfuse.tags`. */
  tags?: string[];
}

export { ATTR, INVALID_SPAN_ID } from './keys.js';

const badFieldLog = new RateLimitedLog(
  'warn',
  10_000,
  (n) => `${n} field value(s) of the wrong type were ignored (see debug logs for which).`,
);

const FIELD_KEYS = [
  'userId',
  'convoId',
  'sessionId',
  'model',
  'provider',
  'input',
  'output',
  'properties',
  'tags',
] as const;

/**
 * A plain copy of the recording fields a caller passed, read once: a getter or proxy trap that
 * throws (a revoked Proxy, say) makes that field "not passed" instead of an exception in the
 * caller's code. `undefined` when `fields` is not an object at all.
 */
export function readFields(fields: unknown): (SpanFields & { sessionId?: unknown }) | undefined {
  if (fields === null || (typeof fields !== 'object' && typeof fields !== 'function')) return undefined;
  const out: Record<string, unknown> = {};
  for (const key of FIELD_KEYS) {
    try {
      const value = (fields as Record<string, unknown>)[key];
      if (value !== undefined) out[key] = value;
    } catch (error) {
      log.debug(`Ignored \`${key}\`: reading it threw (${String(error)}).`);
      badFieldLog.hit();
    }
  }
  return out as SpanFields & { sessionId?: unknown };
}

/**
 * A string field, or `undefined` when absent; numbers are accepted as ids, other types ignored.
 * Longer than `limit`: cut with the same marker as every other value (`…[truncated N chars]`).
 */
function str(name: string, value: unknown, limit = Number.POSITIVE_INFINITY): string | undefined {
  // '' is "not passed": SPEC §4 never writes an empty identity, model or provider.
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'string') return truncate(value, limit);
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  log.debug(`Ignored \`${name}\`: expected a string, got ${typeof value}.`);
  badFieldLog.hit();
  return undefined;
}

function strArray(name: string, value: unknown, limit = Number.POSITIVE_INFINITY): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (Array.isArray(value) && value.length === 0) return undefined;
  if (Array.isArray(value) && value.every((t) => typeof t === 'string'))
    return (value as string[]).map((t) => truncate(t, limit));
  log.debug(`Ignored \`${name}\`: expected an array of strings.`);
  badFieldLog.hit();
  return undefined;
}

function evaluate<T>(source: IdentitySource<T> | undefined): T | undefined {
  if (typeof source !== 'function') return source;
  try {
    return (source as () => T | undefined)();
  } catch (error) {
    log.debug(`An identity function threw and was ignored for this span: ${String(error)}`);
    return undefined;
  }
}

/** Identity set explicitly on the enclosing trajectories, nearest first. */
function traceIdentity(store: Store | undefined, key: keyof Identity): unknown {
  for (let s = innermostTrajectory(store); s; s = s.parent) {
    if (!s.ended && s.identity[key] !== undefined) return s.identity[key];
  }
  return undefined;
}

/** Precedence: the call's own field, `updateCurrentTrace`/enclosing trajectory, `propagateAttributes`, `init`. */
function resolveIdentity(fields: SpanFields, store: Store | undefined, client: Client): Identity {
  const o = client.options;
  const limit = o.maxAttributeValueLength;
  // `init` sources are evaluated last and only when needed; what a user function returns is
  // checked like a field (an async function's promise or a number of tags is ignored, not sent).
  const pick = <K extends keyof Identity>(key: K, own: Identity[K], fromInit: () => Identity[K]): Identity[K] =>
    own ?? (traceIdentity(store, key) as Identity[K]) ?? store?.identity?.[key] ?? fromInit();
  const userId = pick('userId', str('userId', fields.userId), () => str('userId', evaluate(o.userId)));
  const sessionId = pick('sessionId', str('convoId', fields.convoId), () => str('sessionId', evaluate(o.sessionId)));
  const tags = pick('tags', strArray('tags', fields.tags), () => strArray('tags', evaluate(o.tags)));
  // Cut here, once, whichever source won (a trajectory's or an init source's value included).
  return {
    userId: userId === undefined ? undefined : truncate(userId, limit),
    sessionId: sessionId === undefined ? undefined : truncate(sessionId, limit),
    tags: tags?.map((t) => truncate(t, limit)),
  };
}

/** Writes model, provider, input and output when passed; shared by new spans and patches. */
function writeCallFields(
  attrs: Attributes,
  fields: SpanFields,
  limit: number,
): { model: string | undefined; provider: string | undefined } {
  const model = str('model', fields.model, limit);
  if (model !== undefined) attrs[ATTR.model] = model;
  const provider = str('provider', fields.provider, limit);
  if (provider !== undefined) attrs[ATTR.provider] = provider;
  const input = encodePayload(fields.input, limit);
  if (input !== undefined) attrs[ATTR.input] = input;
  const output = encodePayload(fields.output, limit);
  if (output !== undefined) attrs[ATTR.output] = output;
  return { model, provider };
}

/** The attribute set of a new span, in SPEC order: properties, then built-in fields on top. */
export function buildAttributes(
  passed: SpanFields,
  store: Store | undefined,
  client: Client,
  kind?: 'tool',
): Attributes {
  const fields = readFields(passed) ?? {};
  const limit = client.options.maxAttributeValueLength;
  const attrs: Attributes = {};
  if (fields.properties !== undefined) encodeProperties(fields.properties, limit, attrs);
  const invocation = liveInvocation(store);
  if (invocation) Object.assign(attrs, invocation.attributes);
  const id = resolveIdentity(fields, store, client);
  if (id.userId !== undefined) attrs[ATTR.userId] = id.userId;
  if (id.sessionId !== undefined) attrs[ATTR.convoId] = id.sessionId;
  if (id.tags !== undefined) attrs[ATTR.tags] = id.tags;
  const { model, provider } = writeCallFields(attrs, fields, limit);
  if (kind) attrs[ATTR.kind] = kind;
  diagnoseFields(client, attrs, id, model, provider, invocation !== undefined);
  return attrs;
}

/** Attributes from `update()`-style patches: only what is passed, properties first. Never throws. */
export function patchAttributes(span: Span, passed: SpanFields, client: Client): void {
  const fields = readFields(passed);
  if (!fields) return;
  const limit = client.options.maxAttributeValueLength;
  const attrs: Attributes = {};
  if (fields.properties !== undefined) encodeProperties(fields.properties, limit, attrs);
  const userId = str('userId', fields.userId, limit);
  if (userId !== undefined) attrs[ATTR.userId] = userId;
  const convoId = str('convoId', fields.convoId, limit);
  if (convoId !== undefined) attrs[ATTR.convoId] = convoId;
  const tags = strArray('tags', fields.tags, limit);
  if (tags !== undefined) attrs[ATTR.tags] = tags;
  writeCallFields(attrs, fields, limit);
  span.setAttributes(attrs);
}

/** A valid span time, or `undefined` (logged) for anything else. */
export function timeInput(name: string, value: unknown): number | undefined {
  const ms = value instanceof Date ? value.getTime() : typeof value === 'number' ? value : NaN;
  if (Number.isFinite(ms) && ms > 0) return ms;
  if (value !== undefined) {
    log.debug(`Ignored \`${name}\`: expected a Date or epoch milliseconds.`);
    badFieldLog.hit();
  }
  return undefined;
}

/** Starts an OTel span whose parent is the innermost open Bento span, or none at all. */
export function startSpan(
  client: Client,
  name: string,
  attributes: Attributes,
  store: Store | undefined,
  startTime?: TimeInput,
): { span: Span; parent: OpenSpan | undefined } {
  // Our innermost open span, never the host's active span (context.active() is not read).
  const parent = innermostOpen(store);
  // Names are bounded like values: a 10 MB `event` must not become a 10 MB request.
  const span = client.tracer.startSpan(
    truncate(name, client.options.maxAttributeValueLength),
    { attributes, ...(startTime !== undefined && { startTime }) },
    parent?.span,
  );
  return { span, parent };
}

/** Causes followed at most; a cycle (`a.cause = b; b.cause = a`) stops earlier. */
const MAX_CAUSES = 8;

function toError(value: unknown): Error {
  return value instanceof Error ? value : new Error(typeof value === 'string' ? value : safeJson(value));
}

/** `Type: message` of each `cause` below `error`, nearest first, and the stack text they add. */
function causeChain(error: Error): { causes: string[]; stack: string } {
  const causes: string[] = [];
  let stack = '';
  const seen = new Set<unknown>([error]);
  let cause: unknown = error.cause;
  while (cause !== undefined && cause !== null && !seen.has(cause) && causes.length < MAX_CAUSES) {
    seen.add(cause);
    const e = toError(cause);
    causes.push(`${e.name}: ${e.message}`);
    stack += `\nCaused by: ${e.stack ?? `${e.name}: ${e.message}`}`;
    cause = e.cause;
  }
  return { causes, stack };
}

/**
 * Status ERROR and an `exception` event, as OpenTelemetry's `recordException` writes it, plus
 * the error's `cause` chain: in `exception.stacktrace` after the error's own stack (`Caused by:`
 * lines, as Java and Python print them), and as `bentolabs.exception.causes`, one `Type: message`
 * per cause. Never throws, whatever `error` is (getters that throw, a revoked Proxy).
 */
export function recordError(span: Span, error: unknown): void {
  try {
    const e = toError(error);
    const { causes, stack } = causeChain(e);
    span.addEvent('exception', {
      'exception.type': e.name,
      'exception.message': e.message,
      'exception.stacktrace': `${e.stack ?? `${e.name}: ${e.message}`}${stack}`,
      ...(causes.length > 0 && { 'bentolabs.exception.causes': causes }),
    });
    span.setStatus({ code: SpanStatusCode.ERROR, message: e.message });
  } catch {
    try {
      span.setStatus({ code: SpanStatusCode.ERROR });
    } catch {
      /* a span that cannot even take a status is left as it is */
    }
  }
}

/** Registers an open trajectory or tool span; the invocation's timeout guard can then end it. */
export function openSpan(
  span: Span,
  name: string,
  kind: OpenSpan['kind'],
  parent: OpenSpan | undefined,
  store: Store | undefined,
  identity: OpenSpan['identity'],
): OpenSpan {
  const invocation = liveInvocation(store);
  const state: OpenSpan = { span, name, kind, parent, identity, ended: false, openChildren: new Set(), invocation };
  invocation?.openSpans.add(state);
  trackOpen(state);
  parent?.openChildren.add(state);
  return state;
}

export function closeSpan(state: OpenSpan, endTime?: TimeInput): void {
  if (state.ended) return;
  state.ended = true;
  state.invocation?.openSpans.delete(state);
  untrackOpen(state);
  state.parent?.openChildren.delete(state);
  state.span.end(endTime);
}

/**
 * Ends every span still open under `state` (not `state` itself), innermost first: each child's own
 * open children before the child, later siblings before earlier ones. Each gets
 * `bentolabs.unfinished = true`. Returns the names of the spans it ended, in that order.
 */
export function closeOpenUnder(state: OpenSpan): string[] {
  const ended: string[] = [];
  for (const child of [...state.openChildren].reverse()) {
    // A streamed LLM answer the handler returned is still being read: it ends with its stream.
    if (child.ended || child.kind === 'stream') continue;
    ended.push(...closeOpenUnder(child));
    child.span.setAttribute(ATTR.unfinished, true);
    closeSpan(child);
    ended.push(child.name);
  }
  return ended;
}

/** Ends a span the runtime is about to kill: status ERROR and the `bentolabs.timed_out` marker. */
export function closeTimedOut(state: OpenSpan): void {
  if (state.ended) return;
  state.span.setAttribute(ATTR.timedOut, true);
  state.span.setStatus({ code: SpanStatusCode.ERROR, message: 'timed_out' });
  closeSpan(state);
}
