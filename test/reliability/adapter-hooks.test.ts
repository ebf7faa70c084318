/**
 * Issue 12, adapter side: every adapter hook goes through one guard (a hook's failure never
 * becomes the request's, and the spans are still flushed), and every adapter takes a `processor`
 * option that flushes a user's own `BentoLabsSpanProcessor`. Real middy() chains, a real Express
 * app on an ephemeral port, real Request/Response objects; each test failed on 0.1.
 */
import type { AddressInfo } from 'node:net';
import middy from '@middy/core';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import express from 'express';
import { describe, expect, it } from 'vitest';
import { bentoMiddleware as expressMiddleware } from '../../src/adapters/express.js';
import { wrapHandler } from '../../src/adapters/lambda.js';
import { bentoMiddleware as middyMiddleware } from '../../src/adapters/middy.js';
import { wrapRouteHandler } from '../../src/adapters/next.js';
import { BentoLabsSpanProcessor, init, trackAi } from '../../src/index.js';
import { captureLogger, KEY, useReceiver } from './helpers.js';

const receiver = useReceiver();

function lambdaContext(requestId = 'req-1') {
  return {
    awsRequestId: requestId,
    functionName: 'fn',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:fn',
    memoryLimitInMB: '128',
    logGroupName: 'g',
    logStreamName: 's',
    getRemainingTimeInMillis: () => 30_000,
  };
}

/** A user's own provider with our processor, its batches far in the future (only a flush sends). */
function userProvider() {
  const processor = new BentoLabsSpanProcessor({
    apiKey: KEY,
    baseUrl: receiver.url,
    scheduledDelayMillis: 60_000,
    logLevel: 'silent',
  });
  const provider = new BasicTracerProvider({ spanProcessors: [processor] });
  return { processor, tracer: provider.getTracer('user-app'), provider };
}

const userSpanNames = () => receiver.spans.map((s) => s.name).filter((n) => n.startsWith('user-'));

describe('the processor option flushes a user-supplied BentoLabsSpanProcessor', () => {
  it('wrapHandler (Lambda)', async () => {
    const { processor, tracer, provider } = userProvider();
    const handler = wrapHandler(
      async (_event: unknown, _context: unknown) => {
        tracer.startSpan('user-lambda').end();
        return 'ok';
      },
      { processor },
    );
    expect(await handler({}, lambdaContext() as never)).toBe('ok');
    expect(userSpanNames()).toEqual(['user-lambda']);
    await provider.shutdown();
  });

  it('Middy bentoMiddleware()', async () => {
    const { processor, tracer, provider } = userProvider();
    const handler = middy(async () => {
      tracer.startSpan('user-middy').end();
      return 'ok';
    }).use(middyMiddleware({ processor }));
    expect(await handler({}, lambdaContext() as never)).toBe('ok');
    expect(userSpanNames()).toEqual(['user-middy']);
    await provider.shutdown();
  });

  it('Express bentoMiddleware() on serverless', async () => {
    const { processor, tracer, provider } = userProvider();
    const app = express();
    app.use(expressMiddleware({ serverless: true, processor }));
    app.get('/', (_req, res) => {
      tracer.startSpan('user-express').end();
      res.send('ok');
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const { port } = server.address() as AddressInfo;
    const response = await fetch(`http://127.0.0.1:${port}/`);
    expect(await response.text()).toBe('ok');
    // The response was held until the flush: the span is there when the client has the answer.
    expect(userSpanNames()).toEqual(['user-express']);
    server.close();
    await provider.shutdown();
  });

  it('Next wrapRouteHandler() on serverless', async () => {
    const { processor, tracer, provider } = userProvider();
    const route = wrapRouteHandler(
      async (_request: Request) => {
        tracer.startSpan('user-next').end();
        return new Response('ok');
      },
      { serverless: true, processor },
    );
    const response = await route(new Request('http://localhost/api'));
    expect(await response.text()).toBe('ok');
    expect(userSpanNames()).toEqual(['user-next']);
    await provider.shutdown();
  });

  it('a processor that is not one is a setup-time TypeError naming the option', () => {
    expect(() => wrapHandler(async () => 1, { processor: {} as never })).toThrow(/`processor`/);
    expect(() => middyMiddleware({ processor: 42 as never })).toThrow(TypeError);
  });
});

describe('Middy hooks never throw into the request', () => {
  it('after: a response body stream that is already locked', async () => {
    const logger = captureLogger();
    init({ apiKey: KEY, baseUrl: receiver.url, logger, scheduledDelayMillis: 60_000 });
    const body = new ReadableStream({ start: (c) => c.close() });
    body.getReader(); // locked: getReader() throws from now on
    const response = { statusCode: 200, body };
    const handler = middy(async () => {
      trackAi({ event: 'locked-body' });
      return response;
    }).use(middyMiddleware());
    expect(await handler({}, lambdaContext() as never)).toBe(response);
    // Still flushed before the invocation returned.
    expect(receiver.spans.map((s) => s.name)).toEqual(['locked-body']);
    expect(logger.matching('warn', /bentoMiddleware\(\) after failed/)).toHaveLength(1);
  });

  it('after and onError: a response object whose getter throws', async () => {
    init({ apiKey: KEY, baseUrl: receiver.url, logLevel: 'silent', scheduledDelayMillis: 60_000 });
    const response = {
      statusCode: 200,
      get body(): unknown {
        throw new Error('getter exploded');
      },
    };
    const ok = middy(async () => {
      trackAi({ event: 'throwing-getter' });
      return response;
    }).use(middyMiddleware());
    expect(await ok({}, lambdaContext('a') as never)).toBe(response);
    expect(receiver.spans.map((s) => s.name)).toEqual(['throwing-getter']);

    // onError: the handler's own error reaches the caller unchanged.
    const own = new Error('handler failed');
    const failing = middy(async () => {
      trackAi({ event: 'before-failure' });
      throw own;
    })
      .use(middyMiddleware())
      .use({
        onError: (request) => {
          // A later middleware leaves a flaky `error` behind before ours runs: its first read throws.
          let reads = 0;
          Object.defineProperty(request, 'error', {
            get() {
              if (reads++ === 0) throw new Error('error getter exploded');
              return own;
            },
            set() {},
            configurable: true,
          });
        },
      });
    await expect(failing({}, lambdaContext('b') as never)).rejects.toBe(own);
    expect(receiver.spans.map((s) => s.name).sort()).toEqual(['before-failure', 'throwing-getter']);
  });
});
