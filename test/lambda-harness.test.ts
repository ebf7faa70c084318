/**
 * The Lambda harness itself: it must run handlers the way the Node.js runtime does, and the
 * child must be frozen (SIGSTOP) by the time invoke() resolves. The control tests prove the
 * freeze with a bare OpenTelemetry BatchSpanProcessor, the very failure the SDK exists for.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, test } from 'vitest';
import { LambdaHarness, type LambdaHarnessOptions } from './support/lambda-runtime/index.js';

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'harness');
const fixture = (name: string) => path.join(FIXTURES, name);
const hasProc = fs.existsSync('/proc/self/stat');

/**
 * Counts what reaches POST /v1/traces (or anything else). Kept local on purpose: the shared
 * OTLP receiver is another file in flight, and these tests only need "did bytes arrive".
 */
class CounterServer {
  readonly requests: Array<{ path: string; body: Buffer }> = [];
  readonly #server: http.Server;
  readonly #waiters = new Set<() => void>();

  private constructor(server: http.Server) {
    this.#server = server;
  }

  static async start(): Promise<CounterServer> {
    const server = http.createServer();
    const counter = new CounterServer(server);
    server.on('request', (request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        counter.requests.push({ path: request.url ?? '', body: Buffer.concat(chunks) });
        response.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
        for (const wake of counter.#waiters) wake();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return counter;
  }

  get origin(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  get tracesUrl(): string {
    return `${this.origin}/v1/traces`;
  }

  /** Protobuf strings are plain UTF-8 on the wire, so a span name is findable in the bytes. */
  received(text: string): boolean {
    return this.requests.some(({ body }) => body.includes(text));
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise((resolve) => this.#server.close(resolve));
  }
}

// Negative checks need a window: a child that was NOT frozen would deliver within ~50 ms
// (its timer or OTEL_BSP_SCHEDULE_DELAY); we give it several times that. Not a timing assertion.
const nothingCouldHaveArrivedWindow = () => new Promise((resolve) => setTimeout(resolve, 300));

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function harness(options: LambdaHarnessOptions): Promise<LambdaHarness> {
  // A long function timeout unless a test is about timeouts: on a loaded 2-core machine a cold
  // child (Node start, import, init inside the first invoke) can take longer than the 3 s default,
  // and these tests are about the harness's behaviour, not its speed.
  const started = await LambdaHarness.start({ timeoutMillis: 20_000, ...options });
  cleanups.push(() => started.stop());
  return started;
}

async function counterServer(): Promise<CounterServer> {
  const server = await CounterServer.start();
  cleanups.push(() => server.close());
  return server;
}

function processState(pid: number): string {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).charAt(0);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe.skipIf(process.platform === 'win32')('LambdaHarness', { timeout: 20_000 }, () => {
  describe('freezing (control tests with a bare BatchSpanProcessor)', () => {
    test('a span left in the batch queue is not delivered while frozen, a forceFlush()ed one is', async () => {
      const server = await counterServer();
      const lambda = await harness({
        handlerModule: fixture('otel-batch.mjs'),
        // Without a freeze the batch would be exported ~50 ms after the handler returned.
        env: { COLLECTOR_URL: server.tracesUrl, OTEL_BSP_SCHEDULE_DELAY: '50' },
      });

      const first = await lambda.invoke({ spanName: 'queued-span' });
      expect(first).toMatchObject({ outcome: 'success', result: { recorded: 'queued-span' } });
      expect(lambda.frozen).toBe(true);
      await nothingCouldHaveArrivedWindow();
      expect(server.requests).toHaveLength(0);

      const second = await lambda.invoke({ spanName: 'flushed-span', flush: true });
      expect(second.outcome).toBe('success');
      // Read at the freeze: forceFlush delivered both the new span and the one queued earlier.
      expect(server.received('flushed-span')).toBe(true);
      expect(server.received('queued-span')).toBe(true);
      expect(server.requests.every((request) => request.path === '/v1/traces')).toBe(true);
    });

    test('a timer set before the freeze fires only after the next invoke resumes the process', async () => {
      const server = await counterServer();
      const lambda = await harness({
        handlerModule: fixture('delayed-post.mjs'),
        env: { COLLECTOR_URL: server.origin },
      });

      expect((await lambda.invoke({})).result).toBe('scheduled');
      await nothingCouldHaveArrivedWindow();
      expect(server.requests).toHaveLength(0);

      const resumed = await lambda.invoke({ awaitPending: true });
      expect(resumed).toMatchObject({ outcome: 'success', result: { status: 200 } });
      expect(server.requests.map((request) => request.body.toString())).toEqual(['late']);
    });

    test.skipIf(!hasProc)(
      'the process is stopped after init and after every invocation, running in between',
      async () => {
        const lambda = await harness({ handlerModule: fixture('basic.mjs') });
        const pid = lambda.pid!;
        expect(lambda.frozen).toBe(true);
        expect(processState(pid)).toBe('T');

        const result = await lambda.invoke({ hello: 'world' });
        expect(result.pid).toBe(pid);
        expect(lambda.frozen).toBe(true);
        expect(processState(pid)).toBe('T');
      },
    );
  });

  describe('async handlers', () => {
    test('pass the result through and build the context like the runtime', async () => {
      const lambda = await harness({ handlerModule: fixture('basic.mjs'), functionName: 'orders-api' });
      const result = await lambda.invoke({ hello: 'world' }, { requestId: 'req-1' });

      expect(result).toMatchObject({ requestId: 'req-1', outcome: 'success', coldStart: true });
      expect(result.result).toMatchObject({
        echo: { hello: 'world' },
        invocations: 1,
        awslambda: ['HttpResponseStream', 'streamifyResponse'],
        context: {
          awsRequestId: 'req-1',
          functionName: 'orders-api',
          functionVersion: '$LATEST',
          invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:orders-api',
          memoryLimitInMB: '128',
          logGroupName: '/aws/lambda/orders-api',
          callbackWaitsForEmptyEventLoop: true,
          callbacks: ['function', 'function', 'function'],
        },
      });
      expect(result.logs).toContain('init: basic fixture loaded');
      expect(result.logs).toContain('handling req-1');

      const warm = await lambda.invoke({});
      expect(warm).toMatchObject({ outcome: 'success', coldStart: false, result: { invocations: 2 } });
      expect(warm.logs).not.toContain('init: basic fixture loaded');
    });

    test('see the Lambda environment variables and the ones the test passes, nothing of vitest', async () => {
      const lambda = await harness({ handlerModule: fixture('basic.mjs'), env: { MY_SETTING: 'on' } });
      const { env } = (await lambda.invoke({})).result as { env: Record<string, string> };

      expect(env).toMatchObject({
        AWS_LAMBDA_FUNCTION_NAME: 'harness-function',
        AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '128',
        AWS_REGION: 'us-east-1',
        AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs20.x',
        LAMBDA_TASK_ROOT: FIXTURES,
        _HANDLER: 'basic.handler',
        MY_SETTING: 'on',
      });
      expect(Object.keys(env).filter((name) => name.startsWith('VITEST'))).toEqual([]);
    });

    test('getRemainingTimeInMillis() counts down from the configured timeout', async () => {
      const lambda = await harness({ handlerModule: fixture('basic.mjs'), timeoutMillis: 5000 });
      const { first, second } = (await lambda.invoke({ action: 'remaining' })).result as {
        first: number;
        second: number;
      };
      expect(first).toBeLessThanOrEqual(5000);
      expect(second).toBeLessThan(first);
      expect(second).toBeGreaterThan(0);
    });

    test('a thrown error is reported as errorType/errorMessage and the process stays warm', async () => {
      const lambda = await harness({ handlerModule: fixture('basic.mjs') });
      const failed = await lambda.invoke({ action: 'throw', message: 'bad input' });
      expect(failed).toMatchObject({ outcome: 'error', error: { name: 'TypeError', message: 'bad input' } });
      expect(failed.error?.stack).toContain('basic.mjs');

      const next = await lambda.invoke({});
      expect(next).toMatchObject({ outcome: 'success', pid: failed.pid, coldStart: false });
    });

    test("an async handler waiting only on an unref'd timer fails with Runtime.NodeJsExit, as on nodejs20.x", async () => {
      const lambda = await harness({ handlerModule: fixture('basic.mjs') });
      expect(await lambda.invoke({ action: 'unrefWait' })).toMatchObject({
        outcome: 'error',
        error: { name: 'Runtime.NodeJsExit', message: 'Runtime exited without providing a reason' },
      });
    });

    test('coldStartInit: false initialises inside the first invoke', async () => {
      const lambda = await harness({ handlerModule: fixture('basic.mjs'), coldStartInit: false });
      expect(lambda.pid).toBeUndefined();
      const result = await lambda.invoke({});
      expect(result).toMatchObject({ outcome: 'success', coldStart: true, pid: lambda.pid });
      expect(result.logs).toContain('init: basic fixture loaded');
    });
  });

  describe('callback handlers', () => {
    const callbackHarness = (exportName: string, options: Partial<LambdaHarnessOptions> = {}) =>
      harness({ handlerModule: fixture('callback.cjs'), exportName, ...options });

    test('settle on callback(null, result)', async () => {
      const lambda = await callbackHarness('viaCallback');
      expect(await lambda.invoke({ n: 1 })).toMatchObject({
        outcome: 'success',
        result: { via: 'callback', event: { n: 1 } },
      });
    });

    test('settle on context.succeed()', async () => {
      const lambda = await callbackHarness('viaSucceed');
      expect(await lambda.invoke({})).toMatchObject({ outcome: 'success', result: { via: 'succeed' } });
    });

    test('report callback(error) and callback("string") like the runtime', async () => {
      const withError = await callbackHarness('viaCallbackError');
      expect(await withError.invoke({})).toMatchObject({
        outcome: 'error',
        error: { name: 'Error', message: 'callback failed' },
      });
      const withString = await callbackHarness('viaStringError');
      expect(await withString.invoke({})).toMatchObject({
        outcome: 'error',
        error: { name: 'string', message: 'plain string' },
      });
    });

    test('only the first of callback/succeed/fail counts', async () => {
      const lambda = await callbackHarness('firstCallWins');
      const result = await lambda.invoke({});
      expect(result).toMatchObject({ outcome: 'success', result: 'first' });
      expect(lambda.frozen).toBe(true);
    });

    test('a sync handler that never calls back answers null once the event loop drains', async () => {
      const lambda = await callbackHarness('syncReturn');
      const result = await lambda.invoke({});
      expect(result).toMatchObject({ outcome: 'success', result: null });
      expect(result.logs).toContain('drained');
    });

    test('freeze right at callback() by default: fire-and-forget work is cut off', async () => {
      const server = await counterServer();
      const lambda = await callbackHarness('callbackThenPost', { env: { COLLECTOR_URL: server.origin } });
      expect(await lambda.invoke({})).toMatchObject({ outcome: 'success', result: 'responded' });
      await nothingCouldHaveArrivedWindow();
      expect(server.requests).toHaveLength(0);
    });

    test('waitForEmptyEventLoop: true lets pending work finish, unless the handler opts out', async () => {
      const server = await counterServer();
      const lambda = await callbackHarness('callbackThenPost', {
        env: { COLLECTOR_URL: server.origin },
        waitForEmptyEventLoop: true,
      });

      expect(await lambda.invoke({})).toMatchObject({ outcome: 'success', result: 'responded' });
      expect(server.requests.map((request) => request.body.toString())).toEqual(['fire-and-forget']);

      expect(await lambda.invoke({ dontWait: true })).toMatchObject({ outcome: 'success' });
      await nothingCouldHaveArrivedWindow();
      expect(server.requests).toHaveLength(1);
    });
  });

  describe('response streaming', () => {
    test('reports body and HttpResponseStream metadata, and waits for the handler after end()', async () => {
      const lambda = await harness({ handlerModule: fixture('streaming.mjs') });
      const result = await lambda.invoke({});
      expect(result).toMatchObject({
        outcome: 'success',
        stream: {
          contentType: 'application/vnd.awslambda.http-integration-response',
          metadata: { statusCode: 201, headers: { 'content-type': 'text/plain' } },
          body: 'hello {"json":true} bye',
        },
      });
      expect(result.logs).toContain('after end');
    });

    test('a handler that resolves before ending the stream settles when the stream ends', async () => {
      const lambda = await harness({ handlerModule: fixture('streaming.mjs'), exportName: 'endsLate' });
      expect(await lambda.invoke({})).toMatchObject({
        outcome: 'success',
        stream: { contentType: 'application/octet-stream', body: 'late end' },
      });
    });

    test('rejects a non-async streaming handler like the runtime', async () => {
      const lambda = await harness({ handlerModule: fixture('streaming.mjs'), exportName: 'notAsync' });
      expect(await lambda.invoke({})).toMatchObject({
        outcome: 'error',
        error: { message: 'Streaming does not support non-async handlers.' },
      });
    });
  });

  describe('timeouts, crashes and init failures', () => {
    test('a handler that never settles times out, is killed, and the next invoke is a cold start', async () => {
      const lambda = await harness({ handlerModule: fixture('basic.mjs'), timeoutMillis: 500 });
      const hung = await lambda.invoke({ action: 'hang' });
      expect(hung).toMatchObject({
        outcome: 'timeout',
        error: { name: 'Sandbox.Timedout', message: 'Task timed out after 0.50 seconds' },
      });
      expect(hung.durationMillis).toBeGreaterThanOrEqual(500);
      expect(isAlive(hung.pid)).toBe(false);
      expect(lambda.pid).toBeUndefined();

      const next = await lambda.invoke({});
      expect(next).toMatchObject({ outcome: 'success', coldStart: true, result: { invocations: 1 } });
      expect(next.pid).not.toBe(hung.pid);
    });

    test('a per-invoke timeoutMillis overrides the function timeout', async () => {
      const lambda = await harness({ handlerModule: fixture('basic.mjs'), timeoutMillis: 10_000 });
      expect(await lambda.invoke({ action: 'hang' }, { timeoutMillis: 200 })).toMatchObject({ outcome: 'timeout' });
    });

    test('process.exit() inside the handler is a crash (Runtime.ExitError)', async () => {
      const lambda = await harness({ handlerModule: fixture('basic.mjs') });
      const crashed = await lambda.invoke({ action: 'exit' });
      expect(crashed).toMatchObject({
        outcome: 'crash',
        error: { name: 'Runtime.ExitError', message: 'Runtime exited with error: exit status 7' },
      });
      expect((await lambda.invoke({})).coldStart).toBe(true);
    });

    test('an uncaught exception is a crash that carries the error', async () => {
      const lambda = await harness({ handlerModule: fixture('basic.mjs') });
      const crashed = await lambda.invoke({ action: 'uncaught' });
      expect(crashed).toMatchObject({
        outcome: 'crash',
        error: { name: 'RangeError', message: 'thrown from a timer' },
      });
      expect(isAlive(crashed.pid)).toBe(false);
    });

    test('start() rejects when the module fails to import, with its output', async () => {
      await expect(LambdaHarness.start({ handlerModule: fixture('broken.mjs') })).rejects.toThrow(
        /broken at import[\s\S]*init: about to fail/,
      );
    });

    test("with coldStartInit: false an init failure is the invocation's error", async () => {
      const lambda = await harness({ handlerModule: fixture('broken.mjs'), coldStartInit: false });
      const result = await lambda.invoke({});
      expect(result).toMatchObject({ outcome: 'error', coldStart: true, error: { message: 'broken at import' } });
      expect(result.logs).toContain('init: about to fail');
    });

    test('start() rejects when the export is missing', async () => {
      await expect(LambdaHarness.start({ handlerModule: fixture('basic.mjs'), exportName: 'nope' })).rejects.toThrow(
        'Runtime.HandlerNotFound: basic.nope is undefined or not exported',
      );
    });

    test('invoke() after stop() is a usage error', async () => {
      const lambda = await harness({ handlerModule: fixture('basic.mjs') });
      const pid = lambda.pid!;
      await lambda.stop();
      expect(isAlive(pid)).toBe(false);
      await expect(lambda.invoke({})).rejects.toThrow('invoke() after stop()');
    });
  });

  describe('concurrent invocations (Lambda Managed Instances)', () => {
    test('one process serves them all and freezes only when the last one settled', async () => {
      const lambda = await harness({ handlerModule: fixture('basic.mjs') });
      const results = await lambda.invokeConcurrently([
        { action: 'delay', id: 'slow', millis: 60 },
        { action: 'delay', id: 'fast', millis: 0 },
      ]);

      expect(results.map((result) => result.outcome)).toEqual(['success', 'success']);
      expect(results.map((result) => (result.result as { id: string }).id)).toEqual(['slow', 'fast']);
      // Both started before either returned: they overlapped in one process.
      expect(results.map((result) => (result.result as { invocationsSeen: number }).invocationsSeen)).toEqual([2, 2]);
      expect(new Set(results.map((result) => result.pid))).toEqual(new Set([lambda.pid]));
      expect(lambda.frozen).toBe(true);
    });

    test('invocations that do not settle by the deadline time out; the settled ones keep their result', async () => {
      const lambda = await harness({ handlerModule: fixture('basic.mjs'), timeoutMillis: 1000 });
      const [fast, hung] = await lambda.invokeConcurrently([
        { action: 'delay', id: 'fast', millis: 0 },
        { action: 'hang' },
      ]);
      expect(fast).toMatchObject({ outcome: 'success', result: { id: 'fast' } });
      expect(hung).toMatchObject({ outcome: 'timeout' });
    });
  });
});
