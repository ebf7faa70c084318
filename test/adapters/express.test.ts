/**
 * `@bentolabs/sdk/express` with a real Express 5 app: on 127.0.0.1 as a long-running server, and
 * behind serverless-http / @codegenie/serverless-express, both in-process and under the freezing
 * Lambda harness. The host-tracing (detachment) case runs in a child process, see express-host.mjs.
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Context } from 'aws-lambda';
import { configure as serverlessExpress } from '@codegenie/serverless-express';
import express, { type Express } from 'express';
import serverless from 'serverless-http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bentoErrorHandler, bentoMiddleware, type ExpressOptions } from '../../src/adapters/express.js';
import { wrapHandler } from '../../src/adapters/lambda.js';
import type { ReceivedSpan } from '../../src/dev/otlp.js';
import * as sdk from '../../src/index.js';
import { createApp } from '../fixtures/adapters/express-app.mjs';
import { LambdaHarness } from '../support/lambda-runtime/index.js';
import { fixture, gate, KEY, ROOT, useReceiver } from './helpers.js';

const receiver = useReceiver();
const cleanups: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  // Servers and harnesses first; the shared hook then shuts the SDK down.
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const app = (options?: ExpressOptions, routes?: (a: Express) => void) =>
  createApp({ express, sdk, middleware: bentoMiddleware(options), errorHandler: bentoErrorHandler(), routes });

async function listen(a: Express): Promise<string> {
  const server = http.createServer(a);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function get(url: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(url);
  return { status: res.status, body: await res.json() };
}

const names = (spans: ReceivedSpan[]) => spans.map((s) => s.name).sort();
const named = (name: string, spans = receiver.spans) => spans.filter((s) => s.name === name);

/** An API Gateway HTTP API (v2) event, as serverless-http and serverless-express receive it. */
function httpEvent(path: string, query = ''): Record<string, unknown> {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString: query,
    headers: { host: 'api.example.com', accept: 'application/json' },
    requestContext: {
      accountId: '123456789012',
      apiId: 'api',
      domainName: 'api.example.com',
      requestId: `apigw-${path}`,
      stage: '$default',
      time: '01/Jan/2026:00:00:00 +0000',
      timeEpoch: 0,
      http: { method: 'GET', path, protocol: 'HTTP/1.1', sourceIp: '192.0.2.1', userAgent: 'test' },
    },
    body: '',
    isBase64Encoded: false,
  };
}

/** The fields of a Lambda `Context` the adapters read (the rest is never touched). */
function lambdaContext(awsRequestId: string): Context {
  const deadline = Date.now() + 10_000;
  const context = {
    awsRequestId,
    functionName: 'express-fn',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:express-fn',
    getRemainingTimeInMillis: () => deadline - Date.now(),
  };
  return context as unknown as Context;
}

describe('long-running server (no serverless platform detected)', () => {
  beforeEach(() => sdk.init({ apiKey: KEY, baseUrl: receiver.url, logLevel: 'silent' }));

  it('adds no flush per request: spans wait for the batch, then arrive through it', async () => {
    const url = await listen(app());
    expect(await get(`${url}/chat?convo=one`)).toEqual({ status: 200, body: { reply: 'hello', convo: 'one' } });
    expect(await get(`${url}/chat?convo=two`)).toMatchObject({ status: 200 });
    expect(sdk.status()).toMatchObject({ exportRequests: 0, queueLength: 4 });
    expect(receiver.requests).toHaveLength(0);

    await sdk.flush();
    expect(names(receiver.spans)).toEqual(['express-llm', 'express-llm', 'express-turn', 'express-turn']);
    for (const turn of named('express-turn')) {
      const children = receiver.spans.filter((s) => s.parentSpanId === turn.spanId);
      expect(children.map((s) => s.name)).toEqual(['express-llm']);
      expect(turn.attributes['faas.invocation_id']).toBeUndefined();
    }
  });

  it('overlapping requests keep their own trajectories, and a failure ends only its own', async () => {
    const gates = { a: gate(), b: gate() };
    const arrived = { a: gate(), b: gate() };
    const url = await listen(
      app(undefined, (a) =>
        a.get('/overlap/:id', async (req, res) => {
          const id = req.params.id as 'a' | 'b';
          const turn = sdk.begin({ event: 'overlap-turn', convoId: id });
          arrived[id].open();
          await gates[id].promise;
          turn.trackAi({ event: 'overlap-step', properties: { id } });
          if (id === 'a') throw new Error('a failed');
          turn.finish();
          res.json({ id });
        }),
      ),
    );
    const a = get(`${url}/overlap/a`);
    const b = get(`${url}/overlap/b`);
    await Promise.all([arrived.a.promise, arrived.b.promise]);
    // `a` fails while `b`'s trajectory is still open: the error handler must not touch `b`'s.
    gates.a.open();
    expect(await a).toEqual({ status: 500, body: { error: 'a failed' } });
    gates.b.open();
    expect(await b).toEqual({ status: 200, body: { id: 'b' } });

    await sdk.flush();
    const turns = Object.fromEntries(
      named('overlap-turn').map((s) => [String(s.attributes['gen_ai.conversation.id']), s]),
    );
    const steps = Object.fromEntries(named('overlap-step').map((s) => [String(s.attributes.id), s]));
    expect(steps.a!.parentSpanId).toBe(turns.a!.spanId);
    expect(steps.b!.parentSpanId).toBe(turns.b!.spanId);
    expect(turns.a!.traceId).not.toBe(turns.b!.traceId);
    expect(turns.a!.status.code).toBe(2);
    expect(turns.a!.events.map((e) => e.name)).toContain('exception');
    expect(turns.b!.status.code).toBe(0);
  });

  it('bentoErrorHandler records the error on the spans the request left open and passes it on', async () => {
    const url = await listen(app());
    expect(await get(`${url}/fail?convo=f`)).toEqual({ status: 500, body: { error: 'route failed' } });
    await sdk.flush();
    const [open] = named('express-open-turn');
    expect(open!.status).toMatchObject({ code: 2, message: 'route failed' });
    expect(named('express-before-failure')[0]!.parentSpanId).toBe(open!.spanId);
  });

  it('an SDK that cannot start (no API key) never fails a request', async () => {
    await sdk.shutdown();
    process.env.BENTOLABS_LOG_LEVEL = 'silent';
    const url = await listen(app());
    expect(await get(`${url}/chat`)).toEqual({ status: 200, body: { reply: 'hello', convo: 'c1' } });
    expect(await get(`${url}/fail`)).toEqual({ status: 500, body: { error: 'route failed' } });
    expect(sdk.status().initialised).toBe(false);
  });
});

describe('serverless, in-process behind serverless-http and serverless-express', () => {
  beforeEach(() => sdk.init({ apiKey: KEY, baseUrl: receiver.url, logLevel: 'silent', exportTimeoutMillis: 2000 }));

  it('each invocation resolves only after its own spans were exported; overlapping ones stay apart', async () => {
    const gates = { a: gate(), b: gate() };
    const arrived = { a: gate(), b: gate() };
    const handler = serverless(
      app({ serverless: true }, (a) =>
        a.get('/gated/:id', async (req, res) => {
          const id = req.params.id as 'a' | 'b';
          await sdk.begin({ event: 'gated-turn', convoId: id }, async () => {
            arrived[id].open();
            await gates[id].promise;
            sdk.trackAi({ event: 'gated-step' });
          });
          res.json({ id });
        }),
      ),
    );
    const a = handler(httpEvent('/gated/a'), lambdaContext('req-a')) as Promise<{ statusCode: number; body: string }>;
    const b = handler(httpEvent('/gated/b'), lambdaContext('req-b')) as Promise<{ statusCode: number; body: string }>;
    await Promise.all([arrived.a.promise, arrived.b.promise]);

    gates.b.open();
    expect(await b).toMatchObject({ statusCode: 200, body: '{"id":"b"}' });
    // Read the moment b resolved: b's spans are there, a's (still running) are not.
    expect(receiver.spans.map((s) => s.attributes['faas.invocation_id'])).toEqual(['req-b', 'req-b']);

    gates.a.open();
    expect(await a).toMatchObject({ statusCode: 200 });
    expect(receiver.spans).toHaveLength(4);
    for (const id of ['a', 'b']) {
      const spans = receiver.spans.filter((s) => s.attributes['gen_ai.conversation.id'] === id);
      expect(names(spans)).toEqual(['gated-step', 'gated-turn']);
      for (const span of spans)
        expect(span.attributes).toMatchObject({ 'faas.invocation_id': `req-${id}`, 'faas.name': 'express-fn' });
      expect(spans.find((s) => s.name === 'gated-step')!.parentSpanId).toBe(
        spans.find((s) => s.name === 'gated-turn')!.spanId,
      );
    }
  });

  it('a span recorded right after res.json() in the same turn still goes out with the response', async () => {
    const handler = serverless(app({ serverless: true }));
    expect(await handler(httpEvent('/after-send'), lambdaContext('req-1'))).toMatchObject({
      statusCode: 200,
      body: '{"sent":true}',
    });
    expect(names(receiver.spans)).toEqual(['express-after-send']);
  });

  it('@codegenie/serverless-express resolves only after the flush as well', async () => {
    const handler = serverlessExpress({ app: app({ serverless: true }) });
    const result = await handler(httpEvent('/chat', 'convo=cg'), lambdaContext('req-cg'), () => undefined);
    expect(result).toMatchObject({ statusCode: 200, body: '{"reply":"hello","convo":"cg"}' });
    expect(names(receiver.spans)).toEqual(['express-llm', 'express-turn']);
  });

  it.each([
    ['an endpoint that answers 500', { kind: 'status', status: 500 } as const],
    ['an endpoint that never answers', { kind: 'hang' } as const],
  ])('telemetry failures never fail the request: %s', async (_label, fault) => {
    receiver.setFault(fault);
    const handler = serverless(app({ serverless: true, flushTimeoutMillis: 300 }));
    expect(await handler(httpEvent('/chat'), lambdaContext('req-f'))).toMatchObject({
      statusCode: 200,
      body: '{"reply":"hello","convo":"c1"}',
    });
    expect(await handler(httpEvent('/fail'), lambdaContext('req-g'))).toMatchObject({
      statusCode: 500,
      body: '{"error":"route failed"}',
    });
    receiver.setFault(undefined);
  });

  it('inside wrapHandler it defers to it: one flush, after serverless-http finished', async () => {
    // serverless-http's `response` hook runs after the response finished: an Express-level flush
    // at res.end() would have shipped the route's spans in a request of their own.
    const handler = wrapHandler(
      serverless(app({ serverless: true }), { response: () => void sdk.trackAi({ event: 'express-response-hook' }) }),
    );
    expect(await handler(httpEvent('/chat'), lambdaContext('req-w'))).toMatchObject({ statusCode: 200 });
    expect(names(receiver.spans)).toEqual(['express-llm', 'express-response-hook', 'express-turn']);
    expect(receiver.requests).toHaveLength(1);
    for (const span of receiver.spans) expect(span.attributes['faas.invocation_id']).toBe('req-w');
  });
});

describe('serverless-http under the freezing Lambda harness', { timeout: 30_000 }, () => {
  async function lambda(exportName: string): Promise<LambdaHarness> {
    const harness = await LambdaHarness.start({
      handlerModule: fixture('express-lambda.mjs'),
      exportName,
      timeoutMillis: 5000,
      env: { BENTOLABS_API_KEY: KEY, BENTOLABS_BASE_URL: receiver.url },
    });
    cleanups.push(() => harness.stop());
    return harness;
  }

  it('every span of the request arrives before the freeze, with the invocation attributes', async () => {
    const fn = await lambda('handler');
    const result = await fn.invoke(httpEvent('/chat', 'convo=h1'));
    expect(result).toMatchObject({
      outcome: 'success',
      result: { statusCode: 200, body: '{"reply":"hello","convo":"h1"}' },
    });
    expect(names(receiver.spans)).toEqual(['express-llm', 'express-turn']);
    for (const span of receiver.spans) {
      expect(span.attributes).toMatchObject({
        'faas.invocation_id': result.requestId,
        'faas.coldstart': true,
        'faas.name': 'harness-function',
      });
    }
  });

  it('a failing route: the 500 goes out after the spans (with the error) were exported', async () => {
    const fn = await lambda('handler');
    const result = await fn.invoke(httpEvent('/fail'));
    expect(result).toMatchObject({ outcome: 'success', result: { statusCode: 500, body: '{"error":"route failed"}' } });
    expect(named('express-open-turn')[0]!.status.code).toBe(2);
    expect(names(receiver.spans)).toEqual(['express-before-failure', 'express-open-turn']);
  });

  it('a span recorded after res.json() in the same turn arrives before the freeze', async () => {
    const fn = await lambda('handler');
    expect((await fn.invoke(httpEvent('/after-send'))).outcome).toBe('success');
    expect(names(receiver.spans)).toEqual(['express-after-send']);
  });

  it('behind @codegenie/serverless-express too', async () => {
    const fn = await lambda('codegenie');
    expect(await fn.invoke(httpEvent('/chat', 'convo=cg'))).toMatchObject({
      outcome: 'success',
      result: { statusCode: 200 },
    });
    expect(names(receiver.spans)).toEqual(['express-llm', 'express-turn']);
  });

  it('control: forced long-running, nothing is delivered before the freeze (the spans only wait)', async () => {
    const fn = await lambda('longRunning');
    expect(await fn.invoke(httpEvent('/chat'))).toMatchObject({ outcome: 'success', result: { statusCode: 200 } });
    // Frozen now; the batch timer (5 s) had no chance and no flush ran.
    expect(receiver.requests).toHaveLength(0);
    // The same process, thawed, flushing on request: the first invocation's spans were recorded.
    expect((await fn.invoke(httpEvent('/flush'))).outcome).toBe('success');
    expect(names(receiver.spans)).toEqual(['express-llm', 'express-turn']);
  });
});

describe("detachment from the host's own OpenTelemetry (child process)", () => {
  interface HostSpan {
    name: string;
    kind: number;
    traceId: string;
    spanId: string;
    parentSpanId?: string;
    url: string;
  }

  it('our spans are roots outside the host trace, and our exports are not traced by the host', {
    timeout: 30_000,
  }, async () => {
    const child = spawn(process.execPath, [fixture('express-host.mjs')], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, RECEIVER_URL: receiver.url },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code, stderr).toBe(0);
    const out = JSON.parse(stdout.trim().split('\n').pop()!) as {
      longRunning: { status: number };
      serverless: { status: number };
      hostSpans: HostSpan[];
    };
    expect(out.longRunning.status).toBe(200);
    expect(out.serverless.status).toBe(200);

    const host = out.hostSpans;
    // Control: the host instrumentation is live for incoming requests and for outgoing ones.
    expect(host.filter((s) => s.kind === 1 && s.url.endsWith('/chat'))).toHaveLength(2);
    expect(host.filter((s) => s.kind === 2 && s.url.endsWith('/control'))).toHaveLength(2);
    // Our export requests (both modes, one of them inside the request) are not in the host's trace.
    expect(host.filter((s) => s.url.includes('/v1/traces'))).toEqual([]);
    expect(host.map((s) => s.name).filter((n) => n.startsWith('host-'))).toEqual([]);

    const ours = receiver.spans;
    expect(names(ours)).toEqual([
      'host-long-running-llm',
      'host-long-running-turn',
      'host-serverless-llm',
      'host-serverless-turn',
    ]);
    const hostTraces = new Set(host.map((s) => s.traceId));
    const hostIds = new Set(host.map((s) => s.spanId));
    for (const span of ours) {
      expect(hostTraces.has(span.traceId)).toBe(false);
      if (span.name.endsWith('-turn')) expect(span.parentSpanId).toBeUndefined();
      else expect(hostIds.has(span.parentSpanId!)).toBe(false);
    }
    expect(receiver.requests.map((r) => r.path).filter((p) => p === '/control')).toHaveLength(2);
  });
});
