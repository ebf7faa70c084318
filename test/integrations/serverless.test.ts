/**
 * Streamed answers that outlive the handler, in the serverless adapters (SPEC §10): the LLM span
 * ends when the stream ends and is delivered before the freeze (Lambda response streaming, under
 * the freezing Lambda harness) or before the response completes / in the platform's `waitUntil`
 * (a Next route returning a streamed `Response`, real `Request`/`Response` objects).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createOpenAI } from '@ai-sdk/openai';
import { streamText } from 'ai';
import { build } from 'esbuild';
import OpenAI from 'openai';
import { afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { wrapRouteHandler } from '../../src/adapters/next.js';
import { begin } from '../../src/index.js';
import { bentoTelemetry } from '../../src/integrations/ai.js';
import { wrapOpenAI } from '../../src/integrations/openai.js';
import { ANSWER, USAGE } from '../support/fake-llm-server.js';
import { attr, byName, isChildOf, lambda, receiver, ROOT, spansOf } from '../lambda/helpers.js';
import { NODE_OK, startSdk, useFakeLlm, useReceiver } from './helpers.js';

const fake = useFakeLlm();

/** The `file:../..` link `npm install` creates in examples/lambda, so esbuild resolves the package's exports. */
function linkExample(): void {
  const link = path.join(ROOT, 'examples', 'lambda', 'node_modules', '@bentolabs', 'sdk');
  if (fs.existsSync(path.join(link, 'package.json'))) return;
  fs.mkdirSync(path.dirname(link), { recursive: true });
  try {
    fs.symlinkSync(path.relative(path.dirname(link), ROOT), link, 'dir');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
}

describe.skipIf(!NODE_OK || process.platform === 'win32')(
  'Lambda response streaming with wrapOpenAI',
  { timeout: 60_000 },
  () => {
    let example: string;
    beforeAll(async () => {
      linkExample();
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bento-chat-stream-'));
      example = path.join(dir, 'chat-stream.mjs');
      // Bundled as template.yaml's esbuild settings would (ESM, a `require` for CommonJS deps).
      await build({
        entryPoints: [path.join(ROOT, 'examples', 'lambda', 'src', 'chat-stream.ts')],
        bundle: true,
        format: 'esm',
        platform: 'node',
        target: 'node22',
        outfile: example,
        banner: { js: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);" },
        logLevel: 'silent',
        absWorkingDir: ROOT,
      });
      return () => fs.rmSync(dir, { recursive: true, force: true });
    });

    const env = () => ({
      OPENAI_API_KEY: 'sk-test',
      OPENAI_BASE_URL: fake.server.openaiBaseUrl,
      OPENAI_MODEL: 'gpt-test',
    });

    test('examples/lambda/src/chat-stream.ts: the client gets the stream, the LLM span arrives before the freeze', async () => {
      const otlp = await receiver();
      const fn = await lambda(otlp.url, { module: example, env: env() });
      const body = JSON.stringify({ message: 'hi', userId: 'u1', convoId: 'c1' });
      const result = await fn.invoke({ body }, { requestId: 'req-chat-stream' });
      expect(result).toMatchObject({ outcome: 'success', stream: { body: ANSWER } });
      expect(fn.frozen).toBe(true);

      const mine = spansOf(otlp.spans, 'req-chat-stream');
      const turn = byName(mine, 'chat_turn');
      const llm = byName(mine, 'openai.chat.completions');
      expect(isChildOf(llm, turn)).toBe(true);
      expect(attr(llm, 'output.value')).toBe(ANSWER);
      expect(attr(llm, 'gen_ai.usage.input_tokens')).toBe(USAGE.input);
      expect(attr(llm, 'gen_ai.user.id')).toBe('u1');
      expect(typeof attr(llm, 'gen_ai.response.time_to_first_chunk')).toBe('number');
      expect(attr(turn, 'output.value')).toBe(ANSWER);
    });

    test('a handler that returns before its answer is streamed: the span ends with the stream, before the freeze', async () => {
      const otlp = await receiver();
      const fixture = path.join(ROOT, 'test', 'fixtures', 'integrations', 'lambda-detached.mjs');
      const fn = await lambda(otlp.url, { module: fixture, env: env() });
      const result = await fn.invoke({}, { requestId: 'req-detached' });
      expect(result).toMatchObject({ outcome: 'success', stream: { body: ANSWER } });
      expect(fn.frozen).toBe(true);
      const llm = byName(spansOf(otlp.spans, 'req-detached'), 'openai.chat.completions');
      expect(attr(llm, 'output.value')).toBe(ANSWER);
      expect(attr(llm, 'bentolabs.unfinished')).toBeUndefined();
    });
  },
);

describe.skipIf(!NODE_OK)('a Next route returning a streamed Response', () => {
  const otlp = useReceiver();
  beforeEach(() => startSdk(otlp));
  const openai = () => wrapOpenAI(new OpenAI({ apiKey: 'sk-test', baseURL: fake.server.openaiBaseUrl, maxRetries: 0 }));
  const request = () => new Request('http://localhost/api/chat', { method: 'POST', body: '{"prompt":"hi"}' });

  /** The route of examples/next: a trajectory around a streamed, wrapped OpenAI call. */
  const route = () => {
    const client = openai();
    return wrapRouteHandler(
      async (req: Request) => {
        const { prompt } = (await req.json()) as { prompt: string };
        return begin({ event: 'chat_turn', convoId: 'n1' }, async () => {
          const stream = await client.chat.completions.create({
            model: 'gpt-test',
            messages: [{ role: 'user', content: prompt }],
            stream: true,
          });
          return new Response(stream.toReadableStream(), { headers: { 'content-type': 'application/x-ndjson' } });
        });
      },
      { serverless: true },
    );
  };
  const textOf = (ndjson: string) =>
    ndjson
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).choices[0]?.delta.content ?? '')
      .join('');

  test('without after() or waitUntil: the body completes only once the LLM span was delivered', async () => {
    const res = await route()(request());
    expect(otlp.spans).toHaveLength(0);
    expect(textOf(await res.text())).toBe(ANSWER);
    // No flush() here: the wrapper delivered before the body ended.
    const llm = otlp.spanByName('openai.chat.completions');
    expect(llm?.attributes['output.value']).toBe(ANSWER);
    expect(llm?.attributes['gen_ai.conversation.id']).toBe('n1');
    expect(llm?.parentSpanId).toBe(otlp.spanByName('chat_turn')?.spanId);
  });

  describe('with the platform waitUntil', () => {
    const pending: Promise<unknown>[] = [];
    const holder = globalThis as unknown as Record<symbol, unknown>;
    beforeEach(() => {
      pending.length = 0;
      holder[Symbol.for('@vercel/request-context')] = {
        get: () => ({ waitUntil: (promise: Promise<unknown>) => void pending.push(promise) }),
      };
    });
    afterEach(() => {
      delete holder[Symbol.for('@vercel/request-context')];
    });

    test('wrapOpenAI: the response is not held; waitUntil settles after the stream ended, with the span delivered', async () => {
      const res = await route()(request());
      expect(pending).toHaveLength(1);
      expect(textOf(await res.text())).toBe(ANSWER);
      await pending[0];
      expect(otlp.spanByName('openai.chat.completions')?.attributes['output.value']).toBe(ANSWER);
    });

    test('AI SDK streamText().toTextStreamResponse(): chain and llm spans delivered once the stream ended', async () => {
      const provider = createOpenAI({ apiKey: 'sk-test', baseURL: fake.server.openaiBaseUrl });
      const POST = wrapRouteHandler(
        async (_req: Request) =>
          streamText({
            model: provider.chat('gpt-test'),
            prompt: 'hi',
            telemetry: { integrations: [bentoTelemetry()], functionId: 'next-chat' },
          }).toTextStreamResponse(),
        { serverless: true },
      );
      const res = await POST(request());
      expect(await res.text()).toBe(ANSWER);
      await pending[0];
      const chain = otlp.spanByName('next-chat');
      expect(chain?.attributes['output.value']).toBe(ANSWER);
      expect(otlp.spanByName('openai.chat')?.parentSpanId).toBe(chain?.spanId);
    });
  });
});
