/**
 * `@bentolabs/sdk/next` route wrapper, called with real `Request` objects and returning real
 * `Response`s: long-running (no flush), serverless without `after()` (flush before the response
 * completes), a platform `waitUntil` (through the request-context symbol Next and Vercel use),
 * streamed bodies, Next's control-flow throws, and the built entry with `next` absent. Next's own
 * `after()` needs a real request scope: see next-app.test.ts.
 */
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { notFound, redirect } from 'next/navigation.js';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { wrapRouteHandler } from '../../src/adapters/next.js';
import { runInvocation } from '../../src/core/invocation.js';
import type { ReceivedSpan } from '../../src/dev/otlp.js';
import * as sdk from '../../src/index.js';
import { KEY, ROOT, useReceiver } from './helpers.js';

const receiver = useReceiver();

beforeEach(() => {
  sdk.init({ apiKey: KEY, baseUrl: receiver.url, logLevel: 'silent' });
});

const names = (spans: ReceivedSpan[] = receiver.spans) => spans.map((s) => s.name).sort();
const request = (body?: unknown) =>
  new Request(
    'http://localhost/api/chat',
    body === undefined
      ? {}
      : { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } },
  );

/** A route that records a trajectory with one LLM call, and answers JSON. */
const chat = async (req: Request) => {
  const { prompt } = (await req.json()) as { prompt: string };
  const reply = await sdk.begin({ event: 'next-turn', convoId: 'n1' }, async () => {
    sdk.trackAi({ event: 'next-llm', model: 'gpt-4o', provider: 'openai', input: prompt, output: 'hello' });
    return 'hello';
  });
  return Response.json({ reply }, { headers: { 'x-route': 'chat' } });
};

/** A route whose body is produced after it returned; the last span is recorded at its end. */
const streamed = async (_req: Request) => {
  sdk.trackAi({ event: 'next-stream-start' });
  const tokens = ['one ', 'two ', 'three'];
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      await new Promise((resolve) => setTimeout(resolve, 2));
      const token = tokens.shift();
      if (token !== undefined) return controller.enqueue(new TextEncoder().encode(token));
      sdk.trackAi({ event: 'next-stream-done' });
      controller.close();
    },
  });
  return new Response(body, { status: 201, headers: { 'content-type': 'text/plain' } });
};

describe('no serverless platform detected, neither after() nor waitUntil available', () => {
  it('the response completes only after the flush (SPEC §8: "otherwise flushes before returning")', async () => {
    const POST = wrapRouteHandler(chat);
    const res = await POST(request({ prompt: 'hi' }));
    expect(await res.json()).toEqual({ reply: 'hello' });
    expect(names()).toEqual(['next-llm', 'next-turn']);
  });
});

describe('serverless: false (a long-running server that wants batching only)', () => {
  it('adds no flush per request: the spans go out with the batch', async () => {
    const POST = wrapRouteHandler(chat, { serverless: false });
    const res = await POST(request({ prompt: 'hi' }));
    expect(await res.json()).toEqual({ reply: 'hello' });
    expect(sdk.status()).toMatchObject({ exportRequests: 0, queueLength: 2 });
    await sdk.flush();
    expect(names()).toEqual(['next-llm', 'next-turn']);
  });
});

describe('serverless, neither after() nor waitUntil available', () => {
  it('a response without a body: flushed before the handler resolves', async () => {
    const DELETE = wrapRouteHandler(
      async (_req: Request) => {
        sdk.trackAi({ event: 'next-delete' });
        return new Response(null, { status: 204 });
      },
      { serverless: true },
    );
    const res = await DELETE(request());
    expect(res.status).toBe(204);
    expect(names()).toEqual(['next-delete']);
  });

  it('a JSON response: complete only after the flush; status, headers and body unchanged', async () => {
    const POST = wrapRouteHandler(chat, { serverless: true });
    const res = await POST(request({ prompt: 'hi' }));
    expect(res.status).toBe(200);
    expect(res.headers.get('x-route')).toBe('chat');
    expect(res.headers.get('content-type')).toContain('application/json');
    expect(await res.json()).toEqual({ reply: 'hello' });
    expect(names()).toEqual(['next-llm', 'next-turn']);
  });

  it('a streamed body: flushed after the stream ended, including what was recorded while streaming', async () => {
    const GET = wrapRouteHandler(streamed, { serverless: true });
    const res = await GET(request());
    expect(res.status).toBe(201);
    expect(await res.text()).toBe('one two three');
    expect(names()).toEqual(['next-stream-done', 'next-stream-start']);
  });

  it('a handler error is rethrown unchanged after the flush, recorded on the spans left open', async () => {
    const failure = new Error('model unavailable');
    const POST = wrapRouteHandler(
      async (_req: Request) => {
        sdk.begin({ event: 'next-open-turn' });
        throw failure;
      },
      { serverless: true },
    );
    await expect(POST(request())).rejects.toBe(failure);
    const [turn] = receiver.spans;
    expect(turn).toMatchObject({ name: 'next-open-turn', status: { code: 2, message: 'model unavailable' } });
    expect(turn!.events.map((e) => e.name)).toContain('exception');
  });

  it.each([
    ['redirect()', () => redirect('/login')],
    ['notFound()', () => notFound()],
  ])('%s passes through unchanged and is not recorded as an error', async (_label, control) => {
    let thrown: unknown;
    const GET = wrapRouteHandler(
      async (_req: Request) => {
        sdk.begin({ event: 'next-control-turn' });
        try {
          control();
        } catch (error) {
          thrown = error;
          throw error;
        }
        return new Response('unreachable');
      },
      { serverless: true },
    );
    const outcome = await GET(request()).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(outcome).toBe(thrown);
    expect(String((outcome as { digest?: string }).digest)).toMatch(/^NEXT_(REDIRECT|HTTP_ERROR_FALLBACK)/);
    const [turn] = receiver.spans;
    expect(turn).toMatchObject({ name: 'next-control-turn', status: { code: 0 } });
    expect(turn!.events).toEqual([]);
    expect(turn!.attributes['bentolabs.unfinished']).toBe(true);
  });

  it('inside another invocation it defers to it: one flush for both', async () => {
    const POST = wrapRouteHandler(chat, { serverless: true });
    await runInvocation(async () => {
      const res = await POST(request({ prompt: 'hi' }));
      await res.text();
      // A wrapper-level flush would have shipped the route's spans without this one.
      sdk.trackAi({ event: 'next-outer' });
    });
    expect(names()).toEqual(['next-llm', 'next-outer', 'next-turn']);
    expect(receiver.requests).toHaveLength(1);
  });
});

describe.each(['@next/request-context', '@vercel/request-context'])(
  'serverless, the platform provides waitUntil (%s)',
  (symbolName) => {
    const pending: Promise<unknown>[] = [];
    const holder = globalThis as unknown as Record<symbol, unknown>;
    beforeEach(() => {
      pending.length = 0;
      holder[Symbol.for(symbolName)] = {
        get: () => ({ waitUntil: (promise: Promise<unknown>) => void pending.push(promise) }),
      };
    });
    afterEach(() => {
      delete holder[Symbol.for(symbolName)];
    });

    const settledYet = async (promise: Promise<unknown>) => {
      let settled = false;
      void promise.then(() => (settled = true));
      await Promise.resolve();
      return settled;
    };

    it('the response is returned before the flush, which the platform waits for', async () => {
      const POST = wrapRouteHandler(chat, { serverless: true });
      const res = await POST(request({ prompt: 'hi' }));
      expect(pending).toHaveLength(1);
      expect(await res.json()).toEqual({ reply: 'hello' });
      await pending[0];
      expect(names()).toEqual(['next-llm', 'next-turn']);
    });

    it('a streamed body: the flush waits for the end of the stream but does not hold it', async () => {
      const GET = wrapRouteHandler(streamed, { serverless: true });
      const res = await GET(request());
      expect(pending).toHaveLength(1);
      expect(await settledYet(pending[0]!)).toBe(false);
      expect(receiver.requests).toHaveLength(0);
      expect(await res.text()).toBe('one two three');
      await pending[0];
      expect(names()).toEqual(['next-stream-done', 'next-stream-start']);
    });
  },
);

describe('the built entry without `next` installed', () => {
  let dir: string;
  beforeAll(() => {
    // A copy of the package somewhere `next` cannot be resolved from; only @opentelemetry/api is linked.
    dir = mkdtempSync(path.join(os.tmpdir(), 'bento-no-next-'));
    cpSync(path.join(ROOT, 'dist'), path.join(dir, 'dist'), { recursive: true });
    // The build resolves `#transport` through its package.json `imports`, so the copy keeps them.
    const { imports } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { imports: unknown };
    writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'no-next', type: 'module', imports }));
    mkdirSync(path.join(dir, 'node_modules', '@opentelemetry'), { recursive: true });
    symlinkSync(
      path.join(ROOT, 'node_modules', '@opentelemetry', 'api'),
      path.join(dir, 'node_modules', '@opentelemetry', 'api'),
      'dir',
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each(['esm', 'cjs'])(
    '%s: loads, wraps, and flushes before the response completes',
    { timeout: 20_000 },
    async (format) => {
      const script = `
      const load = (name) => ${
        format === 'esm' ? 'import("./dist/" + name + ".js")' : 'Promise.resolve(require("./dist/" + name + ".cjs"))'
      };
      const [{ wrapRouteHandler }, sdk] = await Promise.all([load('next'), load('index')]);
      let nextFound = true;
      try { await import('next/server.js'); } catch { nextFound = false; }
      sdk.init({ apiKey: '${KEY}', baseUrl: process.env.RECEIVER_URL, logLevel: 'silent' });
      const GET = wrapRouteHandler(async () => {
        sdk.trackAi({ event: 'next-absent-${format}' });
        return Response.json({ ok: true });
      }, { serverless: true });
      const res = await GET(new Request('http://localhost/'));
      const body = await res.json();
      console.log(JSON.stringify({ nextFound, body, exported: sdk.status().exported }));
      await sdk.shutdown();`;
      const file = path.join(dir, `check-${format}.${format === 'esm' ? 'mjs' : 'cjs'}`);
      writeFileSync(file, format === 'esm' ? script : `(async () => {${script}})();`);
      const child = spawn(process.execPath, [file], {
        cwd: dir,
        env: { PATH: process.env.PATH, RECEIVER_URL: receiver.url },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d));
      child.stderr.on('data', (d: Buffer) => (stderr += d));
      expect(await new Promise((resolve) => child.on('exit', resolve)), stderr).toBe(0);
      expect(JSON.parse(stdout.trim())).toEqual({ nextFound: false, body: { ok: true }, exported: 1 });
      expect(names()).toEqual([`next-absent-${format}`]);
    },
  );
});
