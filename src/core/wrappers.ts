/** Function wrappers: `interaction(fn)` records each call as a trajectory, `tool(fn)` as a tool span. */
import { currentStore } from './context.js';
import { toolSpanIn } from './tool-span.js';
import { beginIn } from './trajectory.js';

function nameOf(kind: string, fn: unknown, explicit: unknown, option: string): string {
  if (typeof fn !== 'function')
    throw new TypeError(`${kind}() expects a function to wrap; got ${fn === null ? 'null' : typeof fn}.`);
  if (explicit !== undefined) {
    if (typeof explicit !== 'string' || explicit.trim() === '')
      throw new TypeError(`${kind}() option \`${option}\` must be a non-empty string; got ${typeof explicit}.`);
    return explicit;
  }
  if (!fn.name)
    throw new TypeError(
      `${kind}() cannot name the span of an anonymous function: pass { ${option}: '...' } or wrap a named function.`,
    );
  return fn.name;
}

/**
 * Wraps `fn` so each call is recorded as a trajectory named after it; the return value (awaited
 * if a promise) becomes `output.value` unless `captureOutput` is false. A generator function's
 * trajectory covers the iteration: it ends when the generator completes, is returned or throws,
 * what the generator records while it is consumed nests under it, and its output is the yielded
 * values (the first 100).
 * @example
 * const answer = interaction(async function answer(question: string) { return callModel(question); });
 */
export function interaction<A extends unknown[], R>(
  fn: (...args: A) => R,
  options: { event?: string; captureOutput?: boolean } = {},
): (...args: A) => R {
  const event = nameOf('interaction', fn, options?.event, 'event');
  const captureOutput = options?.captureOutput ?? true;
  return function (this: unknown, ...args: A): R {
    return beginIn(currentStore(), { event }, () => fn.apply(this, args), { captureOutput, iterate: true }) as R;
  };
}

/**
 * Wraps `fn` so each call is recorded as a tool span: its arguments array becomes `input.value`
 * and its result `output.value` (each can be turned off). Generator functions as for `interaction`.
 * @example
 * const getWeather = tool(async function get_weather(city: string) { return { city, temp: 21 }; });
 */
export function tool<A extends unknown[], R>(
  fn: (...args: A) => R,
  options: { name?: string; captureInput?: boolean; captureOutput?: boolean } = {},
): (...args: A) => R {
  const name = nameOf('tool', fn, options?.name, 'name');
  const captureInput = options?.captureInput ?? true;
  const captureOutput = options?.captureOutput ?? true;
  return function (this: unknown, ...args: A): R {
    return toolSpanIn(currentStore(), name, captureInput ? { input: args } : {}, () => fn.apply(this, args), {
      captureOutput,
      iterate: true,
    }) as R;
  };
}
