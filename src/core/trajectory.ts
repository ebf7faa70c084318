/**
 * Trajectories (`begin`) and tool spans (`toolSpan`): spans that stay open across awaits and
 * become the parents of what is recorded inside them, through the SDK's own async context.
 */
import type { AttributeValue } from '@opentelemetry/api';
import { encodeProperty, truncate } from './attributes.js';
import { getClient, type Client } from './client.js';
import { currentStore, innermostOpen, innermostTrajectory, storage, type OpenSpan } from './context.js';
import { BentoUsageError } from './errors.js';
import { shared } from './global.js';
import { log } from './logger.js';
import { isThenable } from './safely.js';
import {
  buildAttributes,
  closeSpan,
  INVALID_SPAN_ID,
  openSpan,
  patchAttributes,
  readFields,
  recordError,
  startSpan,
  timeInput,
  type SpanFields,
} from './record.js';
import { requireName } from './track.js';

/** Fields of `begin`. */
export interface BeginFields extends SpanFields {
  /** Span name of the trajectory, e.g. `chat_turn`. Required. */
  event: string;
  /** When the trajectory started (Date or epoch ms). @default now */
  startTime?: Date | number;
}

/** What `update()` and `finish()` accept. */
export type InteractionUpdate = Omit<SpanFields, never>;

/** A tool span being recorded. */
export interface ToolSpan {
  /** Span id (16 hex). */
  readonly spanId: string;
  /** Sets `output.value`. */
  setOutput(value: unknown): void;
  /** Sets one attribute, encoded like a property. */
  setAttribute(key: string, value: unknown): void;
  /** Marks the tool call as failed (status ERROR and an `exception` event). */
  recordError(error: unknown): void;
  /** Ends the span; a second call is a no-op. */
  end(): void;
}

/** An open trajectory. */
export interface Interaction {
  /** Span id (16 hex) of the trajectory. */
  readonly eventId: string;
  /** `gen_ai.conversation.id` of the trajectory, if any. */
  readonly convoId: string | undefined;
  /** Patches the trajectory; `properties` merge by key. */
  update(fields: InteractionUpdate): void;
  /** Ends the trajectory. Idempotent. Throws `BentoUsageError('out_of_order')` while a trajectory opened inside it is still open. */
  finish(fields?: Pick<SpanFields, 'output' | 'properties'>): void;
  /** Starts a tool span inside this trajectory. */
  toolSpan(name: string, fields?: SpanFields): ToolSpan;
  toolSpan<T>(name: string, fields: SpanFields | undefined, fn: (tool: ToolSpan) => T): T;
}

const noopTool: ToolSpan = { spanId: INVALID_SPAN_ID, setOutput() {}, setAttribute() {}, recordError() {}, end() {} };

// In the global slot, like the context and the client state, so that `currentInteraction()` of the
// CommonJS copy finds a trajectory the ESM copy opened (and vice versa).
const handles = shared('interactionHandles', () => new WeakMap<OpenSpan, Interaction>());

function noopInteraction(convoId: string | undefined): Interaction {
  return {
    eventId: INVALID_SPAN_ID,
    convoId,
    update() {},
    finish() {},
    toolSpan: ((_n: string, _f?: SpanFields, fn?: (t: ToolSpan) => unknown) =>
      fn ? fn(noopTool) : noopTool) as Interaction['toolSpan'],
  };
}

/**
 * Runs `fn` and then `done(error?)`, for sync and async results alike; rethrows `fn`'s error
 * unchanged and returns its result unchanged (the same promise type for thenables).
 */
export function settle<T>(fn: () => T, onSettled: (error: unknown, failed: boolean, value?: unknown) => void): T {
  // Our bookkeeping must never replace what `fn` returned or threw.
  const done = (error: unknown, failed: boolean, value?: unknown) => {
    try {
      onSettled(error, failed, value);
    } catch (failure) {
      log.warn(`Could not finish a span after its callback settled: ${String(failure)}`);
    }
  };
  let result: T;
  try {
    result = fn();
  } catch (error) {
    done(error, true);
    throw error;
  }
  if (!isThenable(result)) {
    done(undefined, false, result);
    return result;
  }
  return (result as unknown as Promise<unknown>).then(
    (value) => {
      done(undefined, false, value);
      return value;
    },
    (error: unknown) => {
      done(error, true);
      throw error;
    },
  ) as T;
}

class ToolSpanImpl implements ToolSpan {
  private outputSet = false;
  constructor(
    readonly state: OpenSpan,
    private readonly client: Client,
  ) {}
  get spanId(): string {
    return this.state.span.spanContext().spanId;
  }
  get hasOutput(): boolean {
    return this.outputSet;
  }
  setOutput(value: unknown): void {
    if (this.state.ended) return;
    this.outputSet = true;
    try {
      patchAttributes(this.state.span, { output: value }, this.client);
    } catch (error) {
      log.warn(`setOutput() could not record the output: ${String(error)}`);
    }
  }
  setAttribute(key: string, value: unknown): void {
    if (this.state.ended || typeof key !== 'string' || key === '' || key === '__proto__') return;
    try {
      const encoded: AttributeValue | undefined = encodeProperty(value, this.client.options.maxAttributeValueLength);
      if (encoded !== undefined)
        this.state.span.setAttribute(truncate(key, this.client.options.maxAttributeValueLength), encoded);
    } catch (error) {
      log.warn(`setAttribute() could not record \`${key}\`: ${String(error)}`);
    }
  }
  recordError(error: unknown): void {
    if (!this.state.ended) recordError(this.state.span, error);
  }
  end(): void {
    closeSpan(this.state);
  }
}

function startTool(client: Client, name: string, fields: SpanFields, parentOverride?: OpenSpan): ToolSpanImpl {
  const store = parentOverride ? { ...currentStore(), span: parentOverride } : currentStore();
  const { span, parent } = startSpan(client, name, buildAttributes(fields, store, client, 'tool'), store);
  return new ToolSpanImpl(openSpan(span, 'tool', parent, store, {}), client);
}

function runTool<T>(tool: ToolSpanImpl, fn: (t: ToolSpan) => T): T {
  return settle(
    () => storage.run({ ...currentStore(), span: tool.state }, () => fn(tool)),
    (error, failed, value) => {
      if (failed) tool.recordError(error);
      else if (!tool.hasOutput && value !== undefined) tool.setOutput(value);
      tool.end();
    },
  );
}

/**
 * Records a tool call: a child of the open trajectory, or a root span without one. With `fn`, runs
 * it inside the span (its return value becomes `output.value` unless `setOutput` was called),
 * ends the span on return or throw, and returns `fn`'s result.
 * @example
 * const weather = await toolSpan('get_weather', { input: { city } }, () => fetchWeather(city));
 */
export function toolSpan(name: string, fields?: SpanFields): ToolSpan;
export function toolSpan<T>(name: string, fields: SpanFields | undefined, fn: (tool: ToolSpan) => T): T;
export function toolSpan<T>(name: string, fields?: SpanFields, fn?: (tool: ToolSpan) => T): ToolSpan | T {
  return toolSpanIn(undefined, name, fields, fn);
}

function toolSpanIn<T>(
  parent: OpenSpan | undefined,
  name: string,
  fields?: SpanFields,
  fn?: (tool: ToolSpan) => T,
): ToolSpan | T {
  requireName('toolSpan', 'name', name);
  if (fn !== undefined && typeof fn !== 'function')
    throw new TypeError(`toolSpan() expects a function as its third argument; got ${typeof fn}.`);
  const client = getClient();
  let tool: ToolSpanImpl | undefined;
  if (client) {
    try {
      tool = startTool(client, name, fields ?? {}, parent && !parent.ended ? parent : undefined);
    } catch (error) {
      log.warn(`toolSpan() could not record "${name}": ${String(error)}`);
    }
  }
  if (!fn) return tool ?? noopTool;
  return tool ? runTool(tool, fn) : fn(noopTool);
}

class InteractionImpl implements Interaction {
  constructor(
    readonly state: OpenSpan,
    private readonly client: Client,
    private readonly name: string,
  ) {}
  get eventId(): string {
    return this.state.span.spanContext().spanId;
  }
  get convoId(): string | undefined {
    return this.state.identity.sessionId;
  }
  update(passed: InteractionUpdate): void {
    const fields = readFields(passed);
    if (this.state.ended || !fields) return;
    try {
      patchAttributes(this.state.span, fields, this.client);
      if (typeof fields.userId === 'string') this.state.identity.userId = fields.userId;
      if (typeof fields.convoId === 'string') this.state.identity.sessionId = fields.convoId;
      if (Array.isArray(fields.tags)) this.state.identity.tags = fields.tags;
    } catch (error) {
      log.warn(`update() of "${this.name}" could not record its fields: ${String(error)}`);
    }
  }
  finish(fields?: Pick<SpanFields, 'output' | 'properties'>): void {
    if (this.state.ended) return;
    const open = [...this.state.openChildren].find((c) => !c.ended);
    if (open) {
      throw new BentoUsageError(
        'out_of_order',
        `Cannot finish trajectory "${this.name}" while a trajectory opened inside it is still open; finish the ` +
          'inner one first (trajectories finish last-in, first-out), or use the callback form begin(fields, fn).',
      );
    }
    try {
      if (fields !== undefined) patchAttributes(this.state.span, fields, this.client);
    } catch (error) {
      log.warn(`finish() of "${this.name}" could not record its fields: ${String(error)}`);
    }
    // Ended whatever the fields were: a span left open is never exported.
    closeSpan(this.state);
    // Handle form: leave this async context pointing at the enclosing span again.
    const store = storage.getStore();
    if (store?.span === this.state) storage.enterWith({ ...store, span: innermostOpen(store) });
  }
  /** Ends trajectories left open inside a callback-form trajectory, innermost first. */
  finishDangling(): void {
    for (const child of [...this.state.openChildren]) {
      if (child.ended) continue;
      log.warn(
        `A trajectory opened inside "${this.name}" was never finished; it was ended when "${this.name}" finished.`,
      );
      child.span.setAttribute('bentolabs.unfinished', true);
      closeSpan(child);
    }
  }
  toolSpan<T>(name: string, fields?: SpanFields, fn?: (tool: ToolSpan) => T): ToolSpan | T {
    return toolSpanIn(this.state, name, fields, fn);
  }
}

/**
 * Opens a trajectory: one span across a multi-step turn; what is recorded inside it (same async
 * context) becomes its child. With `fn`, runs `fn(interaction)`, finishes on return or throw
 * (recording the error, then rethrowing it) and returns `fn`'s result.
 * @example
 * const reply = await begin({ event: 'chat_turn', userId, convoId }, async (turn) => {
 *   const answer = await callModel(prompt);
 *   turn.update({ output: answer });
 *   return answer;
 * });
 */
export function begin(fields: BeginFields): Interaction;
export function begin<T>(fields: BeginFields, fn: (interaction: Interaction) => T): T;
export function begin<T>(fields: BeginFields, fn?: (interaction: Interaction) => T): Interaction | T {
  if (fields === null || typeof fields !== 'object')
    throw new TypeError(
      `begin() needs an object of fields with \`event\`; got ${fields === null ? 'null' : typeof fields}.`,
    );
  requireName('begin', 'event', fields.event);
  if (fn !== undefined && typeof fn !== 'function')
    throw new TypeError(`begin() expects a function as its second argument; got ${typeof fn}.`);
  const client = getClient();
  let interaction: InteractionImpl | undefined;
  if (client) {
    try {
      const store = currentStore();
      const { span, parent } = startSpan(
        client,
        fields.event,
        buildAttributes(fields, store, client),
        store,
        timeInput('startTime', fields.startTime),
      );
      const identity = {
        ...(typeof fields.userId === 'string' && { userId: fields.userId }),
        ...(typeof fields.convoId === 'string' && { sessionId: fields.convoId }),
        ...(Array.isArray(fields.tags) && { tags: fields.tags }),
      };
      interaction = new InteractionImpl(openSpan(span, 'trajectory', parent, store, identity), client, fields.event);
      handles.set(interaction.state, interaction);
    } catch (error) {
      log.warn(`begin() could not record "${fields.event}": ${String(error)}`);
    }
  }
  const handle = interaction ?? noopInteraction(typeof fields.convoId === 'string' ? fields.convoId : undefined);
  if (!fn) {
    // Handle form: later calls in this async context become children until finish().
    if (interaction) storage.enterWith({ ...currentStore(), span: interaction.state });
    return handle;
  }
  if (!interaction) return fn(handle);
  const it = interaction;
  return settle(
    () => storage.run({ ...currentStore(), span: it.state }, () => fn(it)),
    (error, failed) => {
      if (failed) recordError(it.state.span, error);
      it.finishDangling();
      it.finish();
    },
  );
}

/**
 * The open trajectory of this async context, or `undefined`.
 * @example
 * currentInteraction()?.update({ properties: { retries: 2 } });
 */
export function currentInteraction(): Interaction | undefined {
  const state = innermostTrajectory();
  return state ? handles.get(state) : undefined;
}
