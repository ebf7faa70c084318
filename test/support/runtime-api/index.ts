/**
 * An AWS Lambda Runtime API (2018-06-01) and Extensions API (2020-01-01) emulator on 127.0.0.1,
 * driving AWS's own runtime interface client (npm `aws-lambda-ric`, built by
 * scripts/runtimes.mjs) in a child process, with Lambda's sandbox lifecycle:
 *
 * - init: the child starts; extensions may register until the runtime's first `/next`; init ends
 *   when the runtime and every registered extension wait in `next`, and the sandbox freezes.
 * - invoke: thaw (SIGCONT), hand the event to the runtime's pending `/next` and an INVOKE event to
 *   every extension's pending `/event/next`; the caller's response is the runtime's POST; the
 *   sandbox freezes (SIGSTOP) only once the runtime *and* every extension are back in `next`.
 *   At the deadline the child is SIGKILLed (timeout) and the next invoke starts cold.
 * - shutdown: with extensions registered, SIGTERM then SIGKILL 500 ms later; without, SIGKILL.
 *
 * Every moment is a `performance.now()` reading of this process, comparable with the receiver's
 * `answeredAt`, so a test can tell which exports were answered before the freeze.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { performance } from 'node:perf_hooks';

export type ExtensionsMode = 'accept' | 'refuse' | 'no-invoke';

/**
 * When INVOKE events reach the extensions: this many milliseconds after the runtime got its event
 * (0: together), only once the runtime has posted its response, or never.
 */
export type InvokeDelivery = number | 'after-response' | 'never';

export interface SandboxOptions {
  /** The `node` binary (22 or 24) and the `aws-lambda-ric` package folder built for it. */
  node: string;
  ric: string;
  /** Folder holding the handler file, and the handler string (`index.handler`). */
  taskRoot: string;
  handler: string;
  /** Function timeout. @default 3000 */
  timeoutMillis?: number;
  /** How the Extensions API treats registration and INVOKE events. @default 'accept' */
  extensions?: ExtensionsMode;
  env?: Record<string, string>;
  /** Lambda Managed Instances: nothing freezes; an invocation ends with its response. */
  managed?: boolean;
  /**
   * INVOKE events reach the extensions this much after the runtime got its event. Lambda does not
   * order the two answers; a process busy elsewhere reads its extension's one a few turns later.
   * (`sandbox.invokeDelivery` changes it between invocations.) @default 0
   */
  invokeDelayMillis?: number;
}

export interface InvokeRecord {
  requestId: string;
  outcome: 'success' | 'error' | 'timeout' | 'init-error' | 'crash';
  /** The raw response body the runtime posted (JSON text, or the streamed bytes). */
  body?: string;
  errorType?: string;
  startedAt: number;
  /** When the runtime's response (or error) request ended: the caller had its answer. */
  respondedAt?: number;
  /** When the INVOKE events were sent to the extensions, if they were. */
  invokeSentAt?: number;
  /** When the sandbox froze (or was killed). */
  frozenAt: number;
  coldStart: boolean;
}

interface Extension {
  id: string;
  name: string;
  events: string[];
  /** Its pending `/event/next`, when it waits there. */
  waiting?: ServerResponse;
}

interface Pending {
  requestId: string;
  record: Partial<InvokeRecord>;
  deadline: number;
  timer: NodeJS.Timeout;
  responded: boolean;
  /** Sends the INVOKE events held back until the response ('after-response'). */
  sendInvoke?: () => void;
  resolve(record: InvokeRecord): void;
}

const RUNTIME = '/2018-06-01/runtime';
const EXTENSION = '/2020-01-01/extension';
const INIT_TIMEOUT_MILLIS = 10_000;

export class LambdaSandbox {
  logs = '';
  readonly extensions: Extension[] = [];
  registrationErrors: string[] = [];
  /** How the last process ended at shutdown: 'SIGTERM', 'SIGKILL', an exit code. */
  shutdown?: { by: string; millis: number };
  /** When the next invocations' INVOKE events reach the extensions. */
  invokeDelivery: InvokeDelivery;
  /** The client ports the extensions' requests came from: one per connection. */
  readonly extensionConnections = new Set<number>();
  /**
   * Drops the next `event/next` that arrives on a connection used before, unanswered, as a server
   * that closed the idle connection just as the request was sent.
   */
  dropReusedNext = false;
  private readonly usedSockets = new WeakSet<object>();
  private child: ChildProcess | undefined;
  private runtimeWaiting: ServerResponse | undefined;
  private registrationOpen = true;
  private initDone: { resolve(): void; reject(e: Error): void } | undefined;
  private initError: { errorType?: string; body: string } | undefined;
  private current: Pending | undefined;
  private cold = true;

  private readonly server: Server;
  private readonly options: SandboxOptions;

  // No parameter properties: the benchmark loads this file with Node's type stripping.
  private constructor(server: Server, options: SandboxOptions) {
    this.server = server;
    this.options = options;
    this.invokeDelivery = options.extensions === 'no-invoke' ? 'never' : (options.invokeDelayMillis ?? 0);
  }

  static async start(options: SandboxOptions): Promise<LambdaSandbox> {
    let sandbox: LambdaSandbox | undefined;
    const server = createServer((req, res) => sandbox?.route(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    sandbox = new LambdaSandbox(server, options);
    return sandbox;
  }

  get address(): string {
    return `127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Runs the init phase and leaves the sandbox frozen; rejects with the init error, if any. */
  async init(): Promise<void> {
    if (this.child) return;
    this.registrationOpen = true;
    this.extensions.length = 0;
    this.initError = undefined;
    const { node, ric, taskRoot, handler, env } = this.options;
    const { version } = JSON.parse(readFileSync(path.join(ric, 'package.json'), 'utf8')) as { version: string };
    const v3 = version.startsWith('3.');
    const entry = v3 ? `${ric}/bin/index.mjs` : `${ric}/index.mjs`;
    const major = v3 ? 22 : 24;
    const child = spawn(node, v3 ? [entry, handler] : [entry], {
      cwd: taskRoot,
      env: {
        PATH: process.env.PATH ?? '',
        AWS_LAMBDA_RUNTIME_API: this.address,
        _HANDLER: handler,
        LAMBDA_TASK_ROOT: taskRoot,
        AWS_EXECUTION_ENV: `AWS_Lambda_nodejs${major}.x`,
        AWS_LAMBDA_FUNCTION_NAME: 'emulated-function',
        AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '1024',
        AWS_LAMBDA_LOG_GROUP_NAME: '/aws/lambda/emulated-function',
        AWS_LAMBDA_LOG_STREAM_NAME: 'stream',
        AWS_REGION: 'us-east-1',
        TZ: ':UTC',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    child.stdout?.on('data', (d: Buffer) => (this.logs += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (this.logs += d.toString()));
    child.once('exit', (code, signal) => this.onExit(child, code, signal));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`init did not finish:\n${this.logs}`)), INIT_TIMEOUT_MILLIS);
      this.initDone = {
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
    });
  }

  /** Invokes once; resolves when the sandbox froze after it (or was killed). */
  async invoke(event: unknown, options: { requestId?: string } = {}): Promise<InvokeRecord> {
    const coldStart = this.cold;
    if (!this.child) {
      try {
        await this.init();
      } catch (error) {
        const now = performance.now();
        return {
          requestId: options.requestId ?? randomUUID(),
          outcome: this.initError ? 'init-error' : 'crash',
          body: this.initError?.body ?? String(error),
          errorType: this.initError?.errorType,
          startedAt: now,
          frozenAt: now,
          coldStart,
        };
      }
    }
    this.cold = false;
    const requestId = options.requestId ?? randomUUID();
    const timeout = this.options.timeoutMillis ?? 3000;
    const startedAt = performance.now();
    const deadline = Date.now() + timeout;
    const runtime = this.runtimeWaiting;
    if (!runtime) throw new Error('The runtime is not waiting in /next');
    return new Promise<InvokeRecord>((resolve) => {
      this.current = {
        requestId,
        deadline,
        responded: false,
        record: { requestId, startedAt, coldStart },
        timer: setTimeout(() => this.timeout(), timeout),
        resolve,
      };
      if (!this.options.managed) this.child?.kill('SIGCONT');
      this.runtimeWaiting = undefined;
      const body = JSON.stringify(event);
      runtime.writeHead(200, {
        'content-type': 'application/json',
        'lambda-runtime-aws-request-id': requestId,
        'lambda-runtime-deadline-ms': String(deadline),
        'lambda-runtime-invoked-function-arn': 'arn:aws:lambda:us-east-1:123456789012:function:emulated-function',
        'lambda-runtime-trace-id': traceHeader(),
      });
      runtime.end(body);
      const delivery = this.invokeDelivery;
      if (delivery !== 'never') {
        // Taken at once: an extension handed its INVOKE is not waiting in `next`, even while the
        // event is still on its way.
        const waiting = this.extensions.map((e) => e.waiting);
        for (const extension of this.extensions) extension.waiting = undefined;
        const send = () => {
          if (this.current?.requestId === requestId) this.current.record.invokeSentAt = performance.now();
          for (const res of waiting)
            res?.writeHead(200, { 'content-type': 'application/json' }).end(
              JSON.stringify({
                eventType: 'INVOKE',
                deadlineMs: deadline,
                requestId,
                invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:emulated-function',
                tracing: { type: 'X-Amzn-Trace-Id', value: 'Root=1-0-0;Sampled=0' },
              }),
            );
        };
        if (delivery === 'after-response') this.current.sendInvoke = send;
        else if (delivery > 0) setTimeout(send, delivery);
        else send();
      }
    });
  }

  /** Shuts the sandbox down as Lambda does, and closes the emulator. */
  async stop(): Promise<void> {
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const started = performance.now();
      const exited = new Promise<string>((resolve) =>
        child.once('exit', (code, signal) => resolve(signal ?? `exit ${code}`)),
      );
      child.kill('SIGCONT');
      if (this.extensions.length > 0) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 500);
        const by = await exited;
        clearTimeout(timer);
        this.shutdown = { by, millis: performance.now() - started };
      } else {
        child.kill('SIGKILL');
        this.shutdown = { by: await exited, millis: performance.now() - started };
      }
    }
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.child !== child) return;
    this.child = undefined;
    this.cold = true;
    this.runtimeWaiting = undefined;
    this.initDone?.reject(new Error(`runtime exited during init (${signal ?? code}):\n${this.logs}`));
    this.initDone = undefined;
    const current = this.current;
    if (current && !this.shutdown) this.settle(current.responded ? (current.record.outcome ?? 'crash') : 'crash');
  }

  private timeout(): void {
    const child = this.child;
    this.child = undefined;
    this.cold = true;
    child?.kill('SIGKILL');
    const current = this.current;
    if (current) this.settle(current.responded ? (current.record.outcome ?? 'timeout') : 'timeout');
  }

  private settle(outcome: InvokeRecord['outcome']): void {
    const current = this.current;
    if (!current) return;
    this.current = undefined;
    clearTimeout(current.timer);
    current.resolve({ ...(current.record as InvokeRecord), outcome, frozenAt: performance.now() });
  }

  /** Freezes when the runtime and every extension wait in `next`. */
  private maybeFreeze(): void {
    if (this.options.managed) {
      if (this.runtimeWaiting && this.initDone) {
        const done = this.initDone;
        this.initDone = undefined;
        done.resolve();
      }
      if (this.current?.responded) this.settle(this.current.record.outcome as InvokeRecord['outcome']);
      return;
    }
    if (!this.runtimeWaiting || !this.child) return;
    if (this.extensions.some((e) => !e.waiting)) return;
    if (this.initDone) {
      this.child.kill('SIGSTOP');
      const done = this.initDone;
      this.initDone = undefined;
      done.resolve();
      return;
    }
    const current = this.current;
    if (!current?.responded) return;
    this.child.kill('SIGSTOP');
    this.settle(current.record.outcome as InvokeRecord['outcome']);
  }

  private route(req: IncomingMessage, res: ServerResponse): void {
    const url = req.url ?? '/';
    if (req.method === 'GET' && url === `${RUNTIME}/invocation/next`) {
      this.registrationOpen = false;
      this.runtimeWaiting = res;
      this.maybeFreeze();
      return;
    }
    if (url.startsWith(EXTENSION)) {
      this.extensionRoute(req, res, url.slice(EXTENSION.length));
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      const errorType = header(req.headers['lambda-runtime-function-error-type']);
      if (req.method === 'POST' && url === `${RUNTIME}/init/error`) {
        this.initError = { errorType, body };
        res.writeHead(202).end('{"status":"OK"}');
        return;
      }
      const match = /^\/2018-06-01\/runtime\/invocation\/([^/]+)\/(response|error)$/.exec(url);
      const current = this.current;
      if (req.method !== 'POST' || !match || !current || decodeURIComponent(match[1]!) !== current.requestId) {
        res.writeHead(400).end('{"errorType":"InvalidRequestID"}');
        return;
      }
      current.responded = true;
      // A streamed error arrives as trailers.
      const trailerType = header(req.trailers['lambda-runtime-function-error-type']);
      const failed = match[2] === 'error' || trailerType !== undefined;
      Object.assign(current.record, {
        outcome: failed ? 'error' : 'success',
        body,
        errorType: errorType ?? trailerType,
        respondedAt: performance.now(),
      });
      res.writeHead(202).end('{"status":"OK"}');
      current.sendInvoke?.();
      current.sendInvoke = undefined;
      this.maybeFreeze();
    });
  }

  private extensionRoute(req: IncomingMessage, res: ServerResponse, path: string): void {
    if (req.socket.remotePort !== undefined) this.extensionConnections.add(req.socket.remotePort);
    const used = this.usedSockets.has(req.socket);
    this.usedSockets.add(req.socket);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method === 'POST' && path === '/register') {
        const name = header(req.headers['lambda-extension-name']) ?? '';
        let events: string[] = [];
        try {
          events = (JSON.parse(Buffer.concat(chunks).toString()) as { events: string[] }).events;
        } catch {
          events = [];
        }
        const refuse = (status: number, errorType: string, message: string) => {
          this.registrationErrors.push(`${errorType}: ${message}`);
          res
            .writeHead(status, { 'content-type': 'application/json' })
            .end(JSON.stringify({ errorType, errorMessage: message }));
        };
        if (this.options.extensions === 'refuse') return refuse(403, 'Extension.Forbidden', 'registration refused');
        if (!this.registrationOpen) return refuse(403, 'Extension.InvalidRegistration', 'registration after init');
        // An extension in the runtime's own process is internal: it may not ask for SHUTDOWN.
        if (events.includes('SHUTDOWN'))
          return refuse(400, 'Extension.InvalidEvent', 'internal extensions get INVOKE only');
        const id = randomUUID();
        this.extensions.push({ id, name, events });
        res.writeHead(200, { 'content-type': 'application/json', 'lambda-extension-identifier': id }).end(
          JSON.stringify({
            functionName: 'emulated-function',
            functionVersion: '$LATEST',
            handler: this.options.handler,
          }),
        );
        return;
      }
      const extension = this.extensions.find((e) => e.id === header(req.headers['lambda-extension-identifier']));
      if (!extension) {
        res.writeHead(403).end('{"errorType":"Extension.Unknown"}');
        return;
      }
      if (req.method === 'GET' && path === '/event/next') {
        if (this.dropReusedNext && used) {
          this.dropReusedNext = false;
          req.socket.destroy();
          return;
        }
        extension.waiting = res;
        this.maybeFreeze();
        return;
      }
      res.writeHead(404).end();
    });
  }
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** An X-Ray trace header as Lambda sends it: `Root=1-<epoch hex>-<24 hex>;Parent=…;Sampled=0`. */
function traceHeader(): string {
  const root = `1-${Math.floor(Date.now() / 1000).toString(16)}-${randomUUID().replace(/-/g, '').slice(0, 24)}`;
  return `Root=${root};Parent=53995c3f42cd8ad8;Sampled=0`;
}
