/**
 * Trajectories (`begin`): spans that stay open across a multi-step turn and become the parents of
 * what is recorded inside them, through the SDK's own async context.
 *
 * Only a scope makes a trajectory ambient: the callback form `begin(fields, fn)` and `turn.run(fn)`
 * run `fn` inside it. The handle form `begin(fields)` returns an inactive handle and never touches
 * the caller's context, because the code of an async function before its first `await` runs in its
 * caller's context: entering the trajectory there (0.1 used `enterWith`) made two turns started
 * side by side nest, and leaked an unfinished turn into later requests on a keep-alive socket.
 */
import { getClient, type Client } from './client.js';
import { currentStore, innermostTrajectory, storage, type OpenSpan, type Store } from './context.js';
import { shared } from './global.js';
import { log } from './logger.js';
import { settle, type Outcome } from './outcome.js';
import {
  buildAttributes,
  closeOpenUnder,
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
import { noteDroppedItems, outputOf, toolSpanIn, type ToolSpan } from './tool-span.js';
import { requireName, trackAi, trackAiIn, type TrackAiFields } from './track.js';

export { toolSpan } from './tool-span.js';
export type { ToolSpan } from './tool-span.js';

/** Fields of `begin`. */
export interface BeginFields extends SpanFields {
  /** Span name of the trajectory, e.g. `chat_turn`. Required. */
  event: string;
  /** When the trajectory started (Date or epoch ms). @default now */
  startTime?: Date | number;
}

/** What `update()` and `finish()` accept. */
export type InteractionUpdate = Omit<SpanFields, never>;

/** A trajectory: one span open across a multi-step turn. */
export interface Interaction {
  /** Span id (16 hex) of the trajectory. */
  readonly eventId: string;
  /** `gen_ai.conversation.id` of the trajectory, if any. */
  readonly convoId: string | undefined;
  /** Patches the trajectory; `properties` merge by key. */
  update(fields: InteractionUpdate): void;
  /**
   * Ends the trajectory. Idempotent, never throws. Spans opened under it that are still open are
   * ended first (innermost first, with `bentolabs.unfinished = true`, and one warning).
   */
  finish(fields?: Pick<SpanFields, 'output' | 'properties'>): void;
  /** Records one finished LLM call as a child of this trajectory; returns its span id. */
  trackAi(fields: TrackAiFields): string;
  /** Starts a tool span inside this trajectory. */
  toolSpan(name: string, fields?: SpanFields): ToolSpan;
  toolSpan<T>(name: string, fields: SpanFields | undefined, fn: (tool: ToolSpan) => T): T;
  /** Opens a trajectory inside this one (handle form, or callback form with `fn`). */
  begin(fields: BeginFields): Interaction;
  begin<T>(fields: BeginFields, fn: (interaction: Interaction) => T): T;
  /** Runs `fn` with this trajectory ambient, as the callback form does, and returns its result. It does not finish it. */
  run<T>(fn: () => T): T;
}

// In the global slot, like the context and the client state, so that `currentInteraction()` of the
// CommonJS copy finds a trajectory the ESM copy opened (and vice versa).
const handles = shared('interactionHandles', () => new WeakMap<OpenSpan, Interaction>());

/**
 * What `begin()` returns when nothing is recorded (SDK disabled or not initialised): children
 * through it are recorded as if called directly, which is a no-op too when the SDK is off.
 */
function noopInteraction(convoId: string | undefined): Interaction {
  return {
    eventId: INVALID_SPAN_ID,
    convoId,
    update() {},
    finish() {},
    trackAi: (fields: TrackAiFields) => trackAi(fields),
    toolSpan: ((name: string, fields?: SpanFields, fn?: (t: ToolSpan) => unknown) =>
      toolSpanIn(currentStore(), name, fields, fn)) as Interaction['toolSpan'],
    begin: ((fields: BeginFields, fn?: (i: Interaction) => unknown) =>
      beginIn(currentStore(), fields, fn)) as Interaction['begin'],
    run: <T>(fn: () => T): T => {
      checkRunArgument(fn);
      return fn();
    },
  };
}

function checkRunArgument(fn: unknown): void {
  if (typeof fn !== 'function')
    throw new TypeError(
      `run() expects a function to run inside the trajectory; got ${fn === null ? 'null' : typeof fn}.`,
    );
}

/** How many span names a warning lists before it says "and N more". */
const NAMES_IN_WARNING = 5;

class InteractionImpl implements Interaction {
  constructor(
    readonly state: OpenSpan,
    private readonly client: Client,
  ) {}
  get eventId(): string {
    return this.state.span.spanContext().spanId;
  }
  get convoId(): string | undefined {
    return this.state.identity.sessionId;
  }
  /** The caller's context with this trajectory as the innermost span: where its children are recorded. */
  private inside(): Store {
    return { ...currentStore(), span: this.state };
  }
  update(passed: InteractionUpdate): void {
    // Fields are read once, guarded (a getter or a revoked Proxy must not throw into the caller).
    const fields = readFields(passed);
    if (this.state.ended || !fields) return;
    try {
      patchAttributes(this.state.span, fields, this.client);
      if (typeof fields.userId === 'string') this.state.identity.userId = fields.userId;
      if (typeof fields.convoId === 'string') this.state.identity.sessionId = fields.convoId;
      if (Array.isArray(fields.tags)) this.state.identity.tags = fields.tags;
    } catch (error) {
      log.warn(`update() of "${this.state.name}" could not record its fields: ${String(error)}`);
    }
  }
  finish(fields?: Pick<SpanFields, 'output' | 'properties'>): void {
    if (this.state.ended) return;
    try {
      const ended = closeOpenUnder(this.state);
      if (ended.length > 0) {
        const listed = ended.slice(0, NAMES_IN_WARNING).map((n) => `"${n}"`);
        const more = ended.length > NAMES_IN_WARNING ? ` and ${ended.length - NAMES_IN_WARNING} more` : '';
        log.warn(
          `Trajectory "${this.state.name}" finished while ${ended.length} span(s) opened under it were still open ` +
            `(${listed.join(', ')}${more}); they were ended first, marked bentolabs.unfinished = true. ` +
            'Finish inner trajectories and tool spans before the outer one, or use the callback forms.',
        );
      }
      if (fields && typeof fields === 'object') patchAttributes(this.state.span, fields, this.client);
    } catch (error) {
      log.warn(`finish() could not record everything on "${this.state.name}": ${String(error)}`);
    }
    try {
      closeSpan(this.state);
    } catch (error) {
      log.warn(`finish() could not end "${this.state.name}": ${String(error)}`);
    }
  }
  trackAi(fields: TrackAiFields): string {
    return trackAiIn(this.inside(), fields);
  }
  toolSpan<T>(name: string, fields?: SpanFields, fn?: (tool: ToolSpan) => T): ToolSpan | T {
    return toolSpanIn(this.inside(), name, fields, fn);
  }
  begin<T>(fields: BeginFields, fn?: (interaction: Interaction) => T): Interaction | T {
    return beginIn(this.inside(), fields, fn);
  }
  run<T>(fn: () => T): T {
    checkRunArgument(fn);
    return storage.run(this.inside(), fn);
  }
}

function startTrajectory(client: Client, fields: BeginFields, store: Store | undefined): InteractionImpl {
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
  const interaction = new InteractionImpl(openSpan(span, fields.event, 'trajectory', parent, store, identity), client);
  handles.set(interaction.state, interaction);
  return interaction;
}

/** How the `interaction()` wrapper runs its function; `begin(fields, fn)` uses the defaults. */
export interface TrajectoryRunOptions {
  /** Record `fn`'s result (or yielded values) as `output.value`. @default false */
  captureOutput?: boolean;
  /** Follow a returned generator through its iteration. @default false */
  iterate?: boolean;
}

/** `begin` under the innermost open span of `store` (the caller's context, or a trajectory's for `turn.begin`). */
export function beginIn<T>(
  store: Store | undefined,
  fields: BeginFields,
  fn?: (interaction: Interaction) => T,
  options: TrajectoryRunOptions = {},
): Interaction | T {
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
      interaction = startTrajectory(client, fields, store);
    } catch (error) {
      log.warn(`begin() could not record "${fields.event}": ${String(error)}`);
    }
  }
  // Handle form: inactive. Nothing about the caller's context changes.
  if (!fn) return interaction ?? noopInteraction(typeof fields.convoId === 'string' ? fields.convoId : undefined);
  if (!interaction) return fn(noopInteraction(typeof fields.convoId === 'string' ? fields.convoId : undefined));
  const it = interaction;
  const inside = <R>(f: () => R): R => storage.run({ ...store, span: it.state }, f);
  return settle(
    () => inside(() => fn(it)),
    (outcome: Outcome) => {
      if (outcome.failed) recordError(it.state.span, outcome.error);
      else if (options.captureOutput) {
        it.update({ output: outputOf(outcome) });
        noteDroppedItems(it.state, outcome);
      }
      it.finish();
    },
    options.iterate ? { step: (f) => inside(f) } : {},
  );
}

/**
 * Opens a trajectory: one span across a multi-step turn.
 *
 * Callback form `begin(fields, fn)`: what `fn` records (same async context) becomes a child; it
 * finishes on return or throw (recording the error, then rethrowing it) and returns `fn`'s result.
 *
 * Handle form `begin(fields)`: returns an inactive `Interaction` that never changes the caller's
 * context; record children through it (`turn.trackAi`, `turn.toolSpan`, `turn.begin`, `turn.run`)
 * and call `turn.finish()`.
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
  return beginIn(currentStore(), fields, fn);
}

/**
 * The ambient trajectory (the callback form's, or the one `turn.run()` made ambient), or `undefined`.
 * @example
 * currentInteraction()?.update({ properties: { retries: 2 } });
 */
export function currentInteraction(): Interaction | undefined {
  const state = innermostTrajectory();
  return state ? handles.get(state) : undefined;
}
