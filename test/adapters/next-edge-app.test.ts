/**
 * A real Next.js 16 app whose route runs on the edge runtime (test/fixtures/next-edge-app, the
 * README's example): `next build` must succeed without a warning about Node.js APIs (0.1 failed
 * with "The edge runtime does not support Node.js 'http' module"), and under `next start` the
 * route's spans must reach the receiver after the response, through `after()`.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readmeBlock } from '../edge/helpers.js';
import { exited, freePort, runNext } from '../support/next-app.js';
import { OtlpReceiver } from '../support/receiver.js';
import { KEY, ROOT } from './helpers.js';

const APP = path.join(ROOT, 'test', 'fixtures', 'next-edge-app');
const ROUTE = path.join(APP, 'app', 'api', 'chat', 'route.js');

let receiver: OtlpReceiver;
let server: ChildProcess | undefined;
let baseUrl = '';
let log = '';
let buildLog = '';

function next(args: string[], env: Record<string, string>): ChildProcess {
  return runNext(ROOT, APP, args, env, (chunk) => (log += chunk));
}

beforeAll(async () => {
  receiver = await OtlpReceiver.start();
  // `@bentolabs/sdk` resolves as an installed package: package.json `exports`/`imports` and dist/.
  const link = path.join(APP, 'node_modules', '@bentolabs', 'sdk');
  mkdirSync(path.dirname(link), { recursive: true });
  rmSync(link, { force: true, recursive: true });
  symlinkSync(path.relative(path.dirname(link), ROOT), link, 'dir');

  const build = next(['build'], {});
  const code = await exited(build);
  buildLog = log;
  expect(code, log).toBe(0);

  const port = await freePort();
  baseUrl = `http://127.0.0.1:${port}`;
  log = '';
  server = next(['start', '-p', String(port), '-H', '127.0.0.1'], {
    BENTOLABS_API_KEY: KEY,
    BENTOLABS_BASE_URL: receiver.url,
  });
  for (;;) {
    if (server.exitCode !== null) throw new Error(`next start exited (${server.exitCode}):\n${log}`);
    try {
      await fetch(baseUrl, { signal: AbortSignal.timeout(1000) });
      break;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}, 240_000);

afterAll(async () => {
  if (server && server.exitCode === null) {
    server.kill('SIGTERM');
    await exited(server);
  }
  await receiver?.close();
});

describe('a Next.js 16 edge route (runtime = "edge")', () => {
  it('is the README example', () => {
    expect(readmeBlock('<!-- edge:next-example -->')).toBe(readFileSync(ROUTE, 'utf8'));
  });

  it('builds with the SDK and without any warning about Node.js APIs', () => {
    expect(buildLog).toMatch(/Compiled successfully/);
    expect(buildLog).not.toMatch(/Node\.js API|Node\.js '\w+' module|Can't resolve|Module not found/);
  });

  it('delivers every span after the response, as one trajectory', { timeout: 60_000 }, async () => {
    // Our endpoint holds its answer (within the adapter's 2 s flush budget): a flush before the
    // response would hold the response too.
    receiver.setFault({ kind: 'delay', millis: 1000, times: 1 });
    const res = await fetch(`${baseUrl}/api/chat`, {
      method: 'POST',
      body: JSON.stringify({ prompt: 'hi' }),
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status, log).toBe(200);
    expect(await res.json()).toEqual({ reply: 'echo: hi' });
    expect(receiver.requests).toHaveLength(0);

    const spans = await receiver.waitForSpans(2, 20_000);
    const turn = spans.find((s) => s.name === 'chat_turn');
    const llm = spans.find((s) => s.name === 'llm_call');
    expect(turn?.parentSpanId, log).toBeUndefined();
    expect(llm?.parentSpanId).toBe(turn?.spanId);
    expect(llm?.attributes['output.value']).toBe('echo: hi');
    // Nothing was logged by the SDK (a failed init on the edge sandbox says "Not initialised").
    expect(log).not.toMatch(/\[bentolabs\]/);
  });
});
