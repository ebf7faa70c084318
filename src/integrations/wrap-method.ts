/**
 * Replacing one method of a client resource (`client.chat.completions.create`) by a recording
 * one, on that instance only. The client object stays the same (same identity, same type, same
 * other methods); the SDK's own helpers that call the method (`chat.completions.stream()`,
 * `messages.stream()`, `messages.parse()`) go through the recording one, so they are recorded
 * once, as the one call they make.
 */
import { log } from '../core/logger.js';
import { RecordedSpan, type CheckedOptions, type SpanStart } from './llm-span.js';
import { observeCall, type CallObserver } from './observe.js';

const ORIGINAL = Symbol.for('@bentolabs/sdk/integration.original');

type Method = (this: unknown, ...args: unknown[]) => unknown;

/** How one API's calls are recorded: the span to start, and how its outcome is read. */
export interface CallRecipe {
  /** The span for a call with these request parameters. */
  start(params: Record<string, unknown>, options: CheckedOptions): SpanStart;
  /** The observer that fills and ends `span` from the call's outcome. */
  observe(span: RecordedSpan, params: Record<string, unknown>, options: CheckedOptions): CallObserver<unknown>;
}

/**
 * Sets `target[key]` to a recording version of the method. Wrapping again starts over from the
 * original method (the last options win), so a client is never recorded twice.
 */
export function wrapMethod(target: unknown, key: string, recipe: CallRecipe, options: CheckedOptions): boolean {
  if (target === null || typeof target !== 'object') return false;
  const holder = target as Record<PropertyKey, unknown>;
  const current = holder[key];
  if (typeof current !== 'function') return false;
  const original =
    ((current as unknown as Record<symbol, unknown>)[ORIGINAL] as Method | undefined) ?? (current as Method);
  const recording: Method = function (this: unknown, ...args: unknown[]) {
    const params = args[0];
    let span: RecordedSpan | undefined;
    if (params !== null && typeof params === 'object') {
      try {
        span = RecordedSpan.start(recipe.start(params as Record<string, unknown>, options), options.properties);
      } catch (error) {
        log.debug(`Could not start an integration span: ${String(error)}`);
      }
    }
    let result: unknown;
    try {
      result = original.apply(this, args);
    } catch (error) {
      span?.fail(error);
      throw error;
    }
    if (!span) return result;
    return observeCall(result, recipe.observe(span, params as Record<string, unknown>, options));
  };
  Object.defineProperty(recording, ORIGINAL, { value: original });
  Object.defineProperty(recording, 'name', { value: original.name || key });
  Object.defineProperty(holder, key, { value: recording, writable: true, configurable: true, enumerable: false });
  return true;
}

/** Wraps what `client.withOptions(...)` returns the same way, so a derived client records too. */
export function wrapDerived(client: object, rewrap: (derived: object) => void): void {
  const holder = client as Record<PropertyKey, unknown>;
  const current = holder.withOptions;
  if (typeof current !== 'function') return;
  const original =
    ((current as unknown as Record<symbol, unknown>)[ORIGINAL] as Method | undefined) ?? (current as Method);
  const derive: Method = function (this: unknown, ...args: unknown[]) {
    const derived = original.apply(this, args);
    if (derived !== null && typeof derived === 'object' && derived !== client) rewrap(derived);
    return derived;
  };
  Object.defineProperty(derive, ORIGINAL, { value: original });
  Object.defineProperty(holder, 'withOptions', {
    value: derive,
    writable: true,
    configurable: true,
    enumerable: false,
  });
}

/** A string or `undefined`. */
export const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** A provider payload read defensively: any field may be missing or of another type. */
export type Json = Record<string, unknown>;
export const obj = (v: unknown): Json => (v !== null && typeof v === 'object' ? (v as Json) : {});
export const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/**
 * `input.value` as a JSON list of messages: the system prompt first, as a message, when the API
 * takes it apart, and a bare string prompt (the Responses API's `input: 'hi'`) as a user message.
 */
export function withSystem(system: unknown, messages: unknown): unknown {
  const rest = typeof messages === 'string' ? [{ role: 'user', content: messages }] : messages;
  if (system === undefined || system === null || system === '') return rest;
  return [{ role: 'system', content: system }, ...(Array.isArray(rest) ? rest : rest === undefined ? [] : [rest])];
}
