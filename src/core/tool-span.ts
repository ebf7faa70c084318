/**
 * Tool spans (`toolSpan`, `turn.toolSpan`, the `tool()` wrapper): a span with
 * `openinference.span.kind = "tool"`, a child of the open trajectory or a detached root, and a
 * parent itself for what its callback records.
 */
import type { AttributeValue } from '@opentelemetry/api';
import { encodeProperty, truncate } from './attributes.js';
import { getClient, type Client } from './client.js';
import { currentStore, storage, type OpenSpan, type Store } from './context.js';
import { log } from './logger.js';
import { settle, type Outcome } from './outcome.js';
import {
  ATTR,
  buildAttributes,
  closeSpan,
  INVALID_SPAN_ID,
  openSpan,
  patchAttributes,
  recordError,
  startSpan,
  type SpanFields,
} from './record.js';
import { requireName } from './track.js';

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

export const noopTool: ToolSpan = {
  spanId: INVALID_SPAN_ID,
  setOutput() {},
  setAttribute() {},
  recordError() {},
  end() {},
};

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
    patchAttributes(this.state.span, { output: value }, this.client);
  }
  setAttribute(key: string, value: unknown): void {
    if (this.state.ended || typeof key !== 'string' || key === '' || key === '__proto__') return;
    const encoded: AttributeValue | undefined = encodeProperty(value, this.client.options.maxAttributeValueLength);
    if (encoded !== undefined)
      this.state.span.setAttribute(truncate(key, this.client.options.maxAttributeValueLength), encoded);
  }
  recordError(error: unknown): void {
    if (!this.state.ended) recordError(this.state.span, error);
  }
  end(): void {
    closeSpan(this.state);
  }
}

/** The output a span records for an outcome: the value, or a generator's yielded values. */
export function outputOf(outcome: Outcome): unknown {
  return outcome.items ?? outcome.value;
}

/** Marks a generator span whose output kept only the first yielded values. */
export function noteDroppedItems(state: OpenSpan, outcome: Outcome): void {
  const kept = outcome.items?.length ?? 0;
  if (outcome.itemCount !== undefined && outcome.itemCount > kept)
    state.span.setAttribute(ATTR.droppedItems, outcome.itemCount - kept);
}

/** How the `tool()` wrapper runs its function; `toolSpan(name, fields, fn)` uses the defaults. */
export interface ToolRunOptions {
  /** Record `fn`'s result (or yielded values) as `output.value` unless `setOutput` was called. @default true */
  captureOutput?: boolean;
  /** Follow a returned generator through its iteration. @default false */
  iterate?: boolean;
}

function runTool<T>(tool: ToolSpanImpl, fn: (t: ToolSpan) => T, store: Store | undefined, o: ToolRunOptions): T {
  const inside = <R>(f: () => R): R => storage.run({ ...store, span: tool.state }, f);
  return settle(
    () => inside(() => fn(tool)),
    (outcome) => {
      if (outcome.failed) tool.recordError(outcome.error);
      else if ((o.captureOutput ?? true) && !tool.hasOutput) {
        const output = outputOf(outcome);
        if (output !== undefined) tool.setOutput(output);
        noteDroppedItems(tool.state, outcome);
      }
      tool.end();
    },
    o.iterate ? { step: (f) => inside(f) } : {},
  );
}

/**
 * `toolSpan` under the innermost open span of `store` (the caller's context, or a trajectory's
 * own for `turn.toolSpan`).
 */
export function toolSpanIn<T>(
  store: Store | undefined,
  name: string,
  fields?: SpanFields,
  fn?: (tool: ToolSpan) => T,
  options: ToolRunOptions = {},
): ToolSpan | T {
  requireName('toolSpan', 'name', name);
  if (fn !== undefined && typeof fn !== 'function')
    throw new TypeError(`toolSpan() expects a function as its third argument; got ${typeof fn}.`);
  const client = getClient();
  let tool: ToolSpanImpl | undefined;
  if (client) {
    try {
      const f = fields ?? {};
      const { span, parent } = startSpan(client, name, buildAttributes(f, store, client, 'tool'), store);
      tool = new ToolSpanImpl(openSpan(span, name, 'tool', parent, store, {}), client);
    } catch (error) {
      log.warn(`toolSpan() could not record "${name}": ${String(error)}`);
    }
  }
  if (!fn) return tool ?? noopTool;
  return tool ? runTool(tool, fn, store, options) : fn(noopTool);
}

/**
 * Records a tool call: a child of the ambient trajectory, or a root span without one. With `fn`,
 * runs it inside the span (its return value becomes `output.value` unless `setOutput` was called),
 * ends the span on return or throw, and returns `fn`'s result.
 * @example
 * const weather = await toolSpan('get_weather', { input: { city } }, () => fetchWeather(city));
 */
export function toolSpan(name: string, fields?: SpanFields): ToolSpan;
export function toolSpan<T>(name: string, fields: SpanFields | undefined, fn: (tool: ToolSpan) => T): T;
export function toolSpan<T>(name: string, fields?: SpanFields, fn?: (tool: ToolSpan) => T): ToolSpan | T {
  return toolSpanIn(currentStore(), name, fields, fn);
}
