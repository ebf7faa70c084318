/**
 * One Lambda invocation as the adapter sees it: its own context and timeout guard (the core
 * invocation), and *when* its spans are delivered relative to the runtime's answer:
 *
 * - after-response: an internal extension holds the freeze for this request; the answer goes to
 *   the runtime at once and the export starts right after the runtime posted it;
 * - inline: the flush runs first, then the answer is forwarded (0.1's behaviour, the fallback);
 * - managed-instances: the answer goes at once and the export runs in the background.
 *
 * The answer may also come from the event loop draining (Node 22's runtime answers a handler that
 * never called back, and a callback with `callbackWaitsForEmptyEventLoop`, on `beforeExit`;
 * Node 24's exits): a `beforeExit` listener of our own delivers then.
 */
import { flushBefore, openInvocation, type InvocationOptions, type OpenInvocation } from './invocation.js';
import { claim, heldForExport, holdsFreeze, invokeOverdue, release } from './lambda-extension.js';
import { extensionState } from './lambda-state.js';
import { deadlineOf, lambdaAttributes, type LambdaContextLike } from './lambda-context.js';
import { log } from './logger.js';
import { realSetImmediate } from './timers.js';

/** Node 22's runtime (aws-lambda-ric 3.x) calls the function stored here on `beforeExit`. */
const RUNTIME_BEFORE_EXIT = Symbol.for('aws.lambda.beforeExit');

export interface LambdaInvocation {
  run<T>(fn: () => T): T;
  /** The handler answered: resolves when the answer may go to the runtime. Never rejects. */
  answer(): Promise<void>;
  /** `answer()`, then `forward()` (a callback or `context.succeed`). */
  before(forward: () => void): void;
  /** The runtime will answer when the event loop drains (a callback that waits for it). */
  answerAtDrain(): void;
}

/** Runs `fn` after the runtime has posted an answer it was handed in this turn. */
function afterPost(fn: () => void): void {
  // Node 22's runtime posts synchronously in the promise reaction that follows ours; Node 24's
  // one `setImmediate` later: two turns cover both.
  realSetImmediate(() => realSetImmediate(fn));
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function startInvocation(
  context: LambdaContextLike | undefined,
  options: InvocationOptions,
  afterResponse: boolean,
  drainAnswers: boolean,
): LambdaInvocation | undefined {
  let attributes = {};
  let deadline: number | undefined;
  let requestId: string | undefined;
  try {
    attributes = lambdaAttributes(context);
    deadline = deadlineOf(context);
    const id = context?.awsRequestId;
    requestId = typeof id === 'string' ? id : undefined;
  } catch (error) {
    log.debug(`Could not read the Lambda context: ${describe(error)}`);
  }
  const invocation = openInvocation({ ...options, attributes, deadline });
  if (!invocation) return undefined;
  return new Delivery(invocation, options, deadline, requestId, afterResponse, drainAnswers);
}

class Delivery implements LambdaInvocation {
  private phase: 'running' | 'awaiting-drain' | 'done' = 'running';
  private answering: Promise<void> | undefined;
  private readonly onDrain = (): void => this.drained();

  constructor(
    private readonly invocation: OpenInvocation,
    private readonly options: InvocationOptions,
    private readonly deadline: number | undefined,
    private readonly requestId: string | undefined,
    private readonly afterResponse: boolean,
    drainAnswers: boolean,
  ) {
    const state = extensionState();
    if (afterResponse && requestId !== undefined && state.delivery === 'after-response') claim(requestId);
    // Prepended: on Node 22 it must run before the runtime's own listener posts the answer.
    if (drainAnswers || state.delivery !== 'managed-instances') process.prependListener('beforeExit', this.onDrain);
  }

  run<T>(fn: () => T): T {
    return this.invocation.run(fn);
  }

  answer(): Promise<void> {
    return (this.answering ??= this.deliver().catch((error: unknown) => {
      log.warn(`Delivering the invocation's spans failed: ${describe(error)}`);
    }));
  }

  before(forward: () => void): void {
    // The runtime takes the first answer; one given after another began delivering goes a turn
    // later, so it never overtakes the first on its way to the runtime.
    const first = this.answering === undefined;
    void this.answer().then(() => (first ? forward() : realSetImmediate(forward)));
  }

  answerAtDrain(): void {
    if (this.phase === 'running') this.phase = 'awaiting-drain';
  }

  private managed(): boolean {
    return extensionState().delivery === 'managed-instances';
  }

  private flush(): Promise<unknown> {
    return flushBefore(this.deadline, this.options).catch(() => undefined);
  }

  private finishRunning(): void {
    this.phase = 'done';
    process.off('beforeExit', this.onDrain);
    this.invocation.end();
  }

  private async deliver(): Promise<void> {
    if (this.phase === 'done') return;
    this.finishRunning();
    if (this.managed()) {
      afterPost(() => void this.flush());
      return;
    }
    if (this.afterResponse && (await heldForExport(this.requestId))) {
      afterPost(() => void this.flush().finally(() => release(this.requestId)));
      return;
    }
    await this.flush();
    release(this.requestId);
  }

  /** The event loop drained before (or as) the invocation answered. */
  private drained(): void {
    if (this.phase === 'done') return;
    this.finishRunning();
    if (this.managed()) {
      void this.flush();
      return;
    }
    // The first invocation keeps the loop alive until its INVOKE event is read (see `claim`): if it
    // drains with that still undecided, the event did not come in time.
    let held = this.afterResponse ? holdsFreeze(this.requestId) : false;
    if (held === undefined) {
      invokeOverdue();
      held = false;
    }
    if (held) {
      afterPost(() => void this.flush().finally(() => release(this.requestId)));
      return;
    }
    // Inline: Node 22's runtime would post in its own beforeExit listener, right after this one.
    // Park its listener until the flush is done; the loop drains again then, and it posts.
    const flushed = this.flush().finally(() => release(this.requestId));
    const g = globalThis as unknown as Record<symbol, unknown>;
    const runtimeListener = g[RUNTIME_BEFORE_EXIT];
    if (typeof runtimeListener !== 'function') return;
    const parked = (): void => undefined;
    g[RUNTIME_BEFORE_EXIT] = parked;
    void flushed.then(() => {
      if (g[RUNTIME_BEFORE_EXIT] === parked) g[RUNTIME_BEFORE_EXIT] = runtimeListener;
      // `beforeExit` fires again only if the loop had work since: a flush with nothing to send
      // settles without any I/O, and the process would then exit without the runtime's answer.
      realSetImmediate(() => undefined);
    });
  }
}
