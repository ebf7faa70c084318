/**
 * The one process-wide home of everything that must be shared between copies of the SDK: the
 * client state, the async-local store, the registries and the logger configuration.
 *
 * An app can load the SDK twice: its ESM and its CommonJS build (the "dual package hazard"), or
 * two installed versions. Copies of one release line must agree (one client, one context, one
 * logger), and a copy of another line must stay apart, because the shapes it keeps there may differ.
 * So, like `@opentelemetry/api` with `Symbol.for('opentelemetry.js.api.<major>')`, all of it lives
 * in one slot on `globalThis` whose key names the line, and which records the version that made it.
 */
import { SDK_VERSION } from './version.js';

/**
 * The line a version belongs to: its major, or `0.<minor>` below 1.0, where a minor release may
 * break (semver). Copies of one line share the slot; the values in it only ever gain fields.
 */
export function releaseLine(version: string): string | undefined {
  const match = /^(\d+)\.(\d+)\.\d+/.exec(version);
  if (!match) return undefined;
  return match[1] === '0' ? `0.${match[2]}` : match[1];
}

const LINE = releaseLine(SDK_VERSION) ?? SDK_VERSION;

/** The key of this line's slot; a test puts a fake slot of another line beside it. */
export const GLOBAL_KEY: symbol = Symbol.for(`bentolabs.sdk.${LINE}`);

interface Slot {
  /** `SDK_VERSION` of the copy that created the slot (the version check reads it). */
  readonly version: string;
  readonly values: Record<string, unknown>;
}

function isCompatible(value: unknown): value is Slot {
  const slot = value as Partial<Slot> | null;
  return (
    typeof slot === 'object' &&
    slot !== null &&
    typeof slot.version === 'string' &&
    releaseLine(slot.version) === LINE &&
    typeof slot.values === 'object' &&
    slot.values !== null
  );
}

let problem: string | undefined;

function acquire(): Slot {
  const holder = globalThis as unknown as Record<symbol, unknown>;
  const existing = holder[GLOBAL_KEY];
  if (isCompatible(existing)) return existing;
  const slot: Slot = { version: SDK_VERSION, values: Object.create(null) as Record<string, unknown> };
  if (existing === undefined) {
    // Not enumerable, so it stays out of the way of code that walks globalThis.
    Object.defineProperty(holder, GLOBAL_KEY, { value: slot, configurable: true, writable: false, enumerable: false });
  } else {
    // Something we did not write holds our key: neither trust it nor overwrite it. This copy keeps
    // its state to itself, and says so once its logger exists (see logger.ts).
    const found = (existing as { version?: unknown } | null)?.version;
    problem =
      `globalThis[Symbol.for('bentolabs.sdk.${LINE}')] holds something other than @bentolabs/sdk ${LINE}.x state ` +
      `(version ${String(found)}); this copy of the SDK (${SDK_VERSION}) keeps its state to itself.`;
  }
  return slot;
}

const slot = acquire();

/**
 * The shared value called `name`, created by `create` in whichever copy asks first. Every caller of
 * one name must agree on its type; a later release of the line may only add fields to it.
 */
export function shared<T>(name: string, create: () => T): T {
  if (!(name in slot.values)) slot.values[name] = create();
  return slot.values[name] as T;
}

/**
 * A symbol for marking foreign objects (a request, a handler) that copies of this line recognise
 * and copies of another line do not.
 */
export function sharedSymbol(name: string): symbol {
  return Symbol.for(`bentolabs.sdk.${LINE}.${name}`);
}

/** Why this copy could not use the global slot, if it could not. */
export function globalSlotProblem(): string | undefined {
  return problem;
}
