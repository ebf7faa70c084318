/**
 * Runs a Lambda handler module in a child process the way the Lambda Node.js runtime does,
 * and freezes that process (SIGSTOP) the instant the handler settles. When invoke()
 * resolves the child is already stopped, so whatever an OTLP receiver holds at that moment
 * is exactly what the code under test delivered before Lambda would have frozen it.
 *
 * @example
 * const lambda = await LambdaHarness.start({ handlerModule: fixture('otel-batch.mjs') });
 * const result = await lambda.invoke({ name: 'a' });
 * expect(receiver.spans).toHaveLength(1); // nothing more can arrive until the next invoke
 * await lambda.stop();
 */
import { randomBytes, randomUUID } from 'node:crypto';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { RuntimeProcess, type ChildMessage, type ErrorReport } from './child-process.js';

export type { ErrorReport } from './child-process.js';

export interface LambdaHarnessOptions {
  /** Absolute path to the handler module (.mjs, .cjs or .js). */
  handlerModule: string;
  /** Exported handler function. @default 'handler' */
  exportName?: string;
  /** Function timeout; at this deadline the child is SIGKILLed. @default 3000 */
  timeoutMillis?: number;
  /** Extra environment for the child, applied over the Lambda variables (so it can override them). */
  env?: Record<string, string>;
  /** AWS_LAMBDA_FUNCTION_NAME, also used in the ARN and log group. @default 'harness-function' */
  functionName?: string;
  /**
   * true: start() runs the init phase and leaves the process frozen until the first invoke.
   * false: start() spawns nothing; the first invoke() initialises and invokes back to back,
   * and an init failure becomes that invocation's `error` instead of rejecting start().
   * @default true
   */
  coldStartInit?: boolean;
  /**
   * Behave like the real runtime for callback() and streaming handlers while
   * `context.callbackWaitsForEmptyEventLoop` is true: freeze only once the event loop has
   * drained. Off by default, so those handlers freeze at callback()/stream end — stricter.
   * @default false
   */
  waitForEmptyEventLoop?: boolean;
}

export interface InvocationResult {
  requestId: string;
  outcome: 'success' | 'error' | 'timeout' | 'crash';
  result?: unknown;
  /** errorType/errorMessage as Lambda would report them (`Sandbox.Timedout`, `Runtime.ExitError`...). */
  error?: ErrorReport;
  /** Streaming handlers: what the client received; `metadata` is the HttpResponseStream prelude. */
  stream?: { contentType: string; metadata?: unknown; body: string };
  durationMillis: number;
  /**
   * stdout+stderr since the previous invocation settled (the first invocation of a process
   * also carries its init output). Concurrent invocations share one string.
   */
  logs: string;
  /** The process that served the invocation. */
  pid: number;
  /** First invocation of its process. */
  coldStart: boolean;
}

export interface InvokeOptions {
  requestId?: string;
  timeoutMillis?: number;
}

type ResultMessage = Extract<ChildMessage, { type: 'result' }>;
type Ending = { kind: 'settled' } | { kind: 'timeout' } | { kind: 'crash'; error?: ErrorReport; exit: string };

// Lambda's own init budget, separate from the function timeout.
const INIT_TIMEOUT_MILLIS = 10_000;

export class LambdaHarness {
  readonly #options: LambdaHarnessOptions;
  readonly #timeoutMillis: number;
  #child: RuntimeProcess | undefined;
  #busy = false;
  #stopped = false;

  private constructor(options: LambdaHarnessOptions) {
    if (!path.isAbsolute(options.handlerModule)) {
      throw new Error(`Expected \`handlerModule\` to be an absolute path, got \`${options.handlerModule}\``);
    }
    this.#options = options;
    this.#timeoutMillis = options.timeoutMillis ?? 3000;
  }

  static async start(options: LambdaHarnessOptions): Promise<LambdaHarness> {
    const harness = new LambdaHarness(options);
    if (options.coldStartInit ?? true) {
      const spawned = await harness.#spawn(true);
      if (!(spawned instanceof RuntimeProcess)) {
        throw new Error(
          `LambdaHarness: init of ${options.handlerModule} failed: ${spawned.error.name}: ${spawned.error.message}\n${spawned.logs}`,
        );
      }
      harness.#child = spawned;
    }
    return harness;
  }

  /** The current process; undefined after a timeout or crash until the next invoke() starts one. */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** True while the current process is SIGSTOPped (between init or an invocation and the next invoke). */
  get frozen(): boolean {
    return this.#child?.frozen ?? false;
  }

  async invoke(event: unknown, options: InvokeOptions = {}): Promise<InvocationResult> {
    const [result] = await this.#exclusive([{ event, requestId: options.requestId }], options.timeoutMillis);
    return result!;
  }

  /**
   * Lambda Managed Instances style: one process serves all `events` at once, and it is frozen
   * only when every one of them has settled. Results are in the order of `events`.
   */
  async invokeConcurrently(events: unknown[], options: { timeoutMillis?: number } = {}): Promise<InvocationResult[]> {
    return this.#exclusive(
      events.map((event) => ({ event })),
      options.timeoutMillis,
    );
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    const child = this.#child;
    this.#child = undefined;
    await child?.dispose();
  }

  async #exclusive(
    items: Array<{ event: unknown; requestId?: string }>,
    timeoutMillis = this.#timeoutMillis,
  ): Promise<InvocationResult[]> {
    if (this.#stopped) throw new Error('LambdaHarness: invoke() after stop()');
    // One environment runs one invocation at a time on Lambda; overlapping calls would also
    // SIGCONT a process another test step expects to be frozen.
    if (this.#busy)
      throw new Error(
        'LambdaHarness: invoke() while another invocation is running; await it, or use invokeConcurrently()',
      );
    if (items.length === 0) return [];
    this.#busy = true;
    try {
      return await this.#run(items, timeoutMillis);
    } finally {
      this.#busy = false;
    }
  }

  async #run(items: Array<{ event: unknown; requestId?: string }>, timeoutMillis: number): Promise<InvocationResult[]> {
    let child = this.#child;
    if (child?.exited !== undefined) {
      // Killed from outside while frozen: treat it like Lambda treats a dead environment.
      await child.dispose();
      child = this.#child = undefined;
    }
    if (child === undefined) {
      // After a timeout or crash Lambda resets the environment: the next invoke is a cold start.
      const spawned = await this.#spawn(false);
      if (!(spawned instanceof RuntimeProcess)) {
        return items.map((item) => ({
          requestId: item.requestId ?? randomUUID(),
          outcome: 'error' as const,
          error: spawned.error,
          durationMillis: 0,
          logs: spawned.logs,
          pid: spawned.pid,
          coldStart: true,
        }));
      }
      child = this.#child = spawned;
    }
    const coldStart = child.invocations === 0;
    child.invocations += items.length;
    const env = this.#env();
    const arn = `arn:aws:lambda:${env.AWS_REGION}:123456789012:function:${env.AWS_LAMBDA_FUNCTION_NAME}`;
    const logStart = coldStart ? 0 : child.logOffset();
    const startedAt = performance.now();
    const deadlineMs = Date.now() + timeoutMillis;
    const requests = items.map((item) => ({
      requestId: item.requestId ?? randomUUID(),
      event: item.event,
      deadlineMs,
      invokedFunctionArn: arn,
    }));
    const reports = new Map<string, ResultMessage>();

    const running = child;
    const ending = await new Promise<Ending>((resolve) => {
      let crashError: ErrorReport | undefined;
      const finish = (value: Ending) => {
        clearTimeout(timer);
        running.off('message', onMessage);
        running.off('exit', onExit);
        resolve(value);
      };
      const onMessage = (message: ChildMessage) => {
        if (message.type === 'result') {
          reports.set(message.requestId, message);
          if (reports.size === requests.length) finish({ kind: 'settled' });
        } else if (message.type === 'crash') {
          crashError = message.error; // the exit follows
        }
      };
      const onExit = (how: string) => finish({ kind: 'crash', error: crashError, exit: how });
      const timer = setTimeout(() => finish({ kind: 'timeout' }), timeoutMillis);
      running.on('message', onMessage);
      running.on('exit', onExit);
      // Thaw first, then send: a child that was never frozen (a cold start) can run the batch,
      // report and SIGSTOP itself before a SIGCONT sent after the batch arrives, which would
      // then thaw it again and leave it running past its report.
      running.resume();
      running.send({ invocations: requests });
    });

    if (ending.kind === 'settled') {
      await running.waitUntilStopped().catch(async (error: unknown) => {
        this.#child = undefined;
        await running.dispose();
        throw error;
      });
    } else {
      await running.kill();
      this.#child = undefined;
    }
    const logs = running.logsSince(logStart);
    if (ending.kind !== 'settled') await running.dispose();
    const elapsed = performance.now() - startedAt;

    return requests.map(({ requestId }): InvocationResult => {
      const common = { requestId, logs, pid: running.pid, coldStart };
      const report = reports.get(requestId);
      if (report) {
        return {
          ...common,
          outcome: report.outcome,
          durationMillis: report.durationMillis,
          ...(report.result !== undefined && { result: report.result }),
          ...(report.error !== undefined && { error: report.error }),
          ...(report.stream !== undefined && { stream: report.stream }),
        };
      }
      if (ending.kind === 'timeout') {
        const seconds = (timeoutMillis / 1000).toFixed(2);
        return {
          ...common,
          outcome: 'timeout',
          durationMillis: elapsed,
          error: { name: 'Sandbox.Timedout', message: `Task timed out after ${seconds} seconds` },
        };
      }
      const exit = ending.kind === 'crash' ? ending.exit : 'unknown';
      const error = (ending.kind === 'crash' && ending.error) || {
        name: 'Runtime.ExitError',
        message: `Runtime exited with error: ${exit}`,
      };
      return { ...common, outcome: 'crash', durationMillis: elapsed, error };
    });
  }

  async #spawn(freezeAfterInit: boolean): Promise<RuntimeProcess | { error: ErrorReport; logs: string; pid: number }> {
    const child = RuntimeProcess.spawn({
      handlerModule: this.#options.handlerModule,
      exportName: this.#options.exportName ?? 'handler',
      env: this.#env(),
      freezeAfterInit,
      waitForEmptyEventLoop: this.#options.waitForEmptyEventLoop ?? false,
    });
    const error = await new Promise<ErrorReport | undefined>((resolve) => {
      let reported: ErrorReport | undefined;
      const finish = (value: ErrorReport | undefined) => {
        clearTimeout(timer);
        child.off('message', onMessage);
        child.off('exit', onExit);
        resolve(value);
      };
      const onMessage = (message: ChildMessage) => {
        if (message.type === 'ready') finish(undefined);
        else if (message.type === 'init-error' || message.type === 'crash') reported = message.error;
      };
      const onExit = (how: string) =>
        finish(reported ?? { name: 'Runtime.ExitError', message: `Runtime exited with error: ${how}` });
      const timer = setTimeout(
        () => finish({ name: 'Sandbox.Timedout', message: `Init timed out after ${INIT_TIMEOUT_MILLIS} ms` }),
        INIT_TIMEOUT_MILLIS,
      );
      child.on('message', onMessage);
      child.on('exit', onExit);
    });
    if (error === undefined) {
      if (freezeAfterInit)
        await child.waitUntilStopped().catch(async (stopError: unknown) => {
          await child.dispose();
          throw stopError;
        });
      return child;
    }
    await child.kill();
    const logs = child.logsSince(0);
    await child.dispose();
    return { error, logs, pid: child.pid };
  }

  #env(): Record<string, string> {
    const options = this.#options;
    const functionName = options.functionName ?? 'harness-function';
    const region = options.env?.AWS_REGION ?? 'us-east-1';
    const exportName = options.exportName ?? 'handler';
    const moduleName = path.basename(options.handlerModule).replace(/\.(c|m)?js$/, '');
    const day = new Date().toISOString().slice(0, 10).replaceAll('-', '/');
    // A clean environment like Lambda's: nothing of vitest's (NODE_OPTIONS, VITEST_*) leaks in.
    return {
      PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
      LANG: 'en_US.UTF-8',
      AWS_REGION: region,
      AWS_DEFAULT_REGION: region,
      AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs20.x',
      AWS_LAMBDA_FUNCTION_NAME: functionName,
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '128',
      AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${functionName}`,
      AWS_LAMBDA_LOG_STREAM_NAME: `${day}/[$LATEST]${randomBytes(16).toString('hex')}`,
      AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
      LAMBDA_TASK_ROOT: path.dirname(options.handlerModule),
      LAMBDA_RUNTIME_DIR: path.dirname(fileURLToPath(import.meta.url)),
      _HANDLER: `${moduleName}.${exportName}`,
      ...options.env,
    };
  }
}
