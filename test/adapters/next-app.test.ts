/**
 * A real Next.js app (test/fixtures/next-app): `next build`, then `next start` on 127.0.0.1. The
 * host traces itself with @vercel/otel into a second receiver; its route records a trajectory
 * with our SDK through `wrapRouteHandler`, which delivers through Next's `after()`. Our spans
 * must reach our receiver as roots of their own traces, after the response, and the two traces
 * must never mix.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exited, freePort, runNext } from '../support/next-app.js';
import { OtlpReceiver } from '../support/receiver.js';
import { KEY, ROOT } from './helpers.js';

const APP = path.join(ROOT, 'test', 'fixtures', 'next-app');

let ours: OtlpReceiver;
let host: OtlpReceiver;
let server: ChildProcess | undefined;
let baseUrl = '';
let serverLog = '';

function run(args: string[], env: Record<string, string>): ChildProcess {
  return runNext(ROOT, APP, args, env, (chunk) => (serverLog += chunk));
}

/** Resolves once `next start` answers HTTP at all (any status). */
async function ready(url: string, child: ChildProcess): Promise<void> {
  for (;;) {
    if (child.exitCode !== null) throw new Error(`next start exited (${child.exitCode}):\n${serverLog}`);
    try {
      await fetch(url, { signal: AbortSignal.timeout(1000) });
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

beforeAll(async () => {
  [ours, host] = await Promise.all([OtlpReceiver.start(), OtlpReceiver.start()]);
  // Resolve `@bentolabs/sdk` from the repo's build: a symlink made here works from a clean clone.
  const link = path.join(APP, 'node_modules', '@bentolabs', 'sdk');
  mkdirSync(path.dirname(link), { recursive: true });
  rmSync(link, { force: true, recursive: true });
  symlinkSync(path.relative(path.dirname(link), ROOT), link, 'dir');

  const build = run(['build'], {});
  expect(await exited(build), serverLog).toBe(0);

  const port = await freePort();
  baseUrl = `http://127.0.0.1:${port}`;
  server = run(['start', '-p', String(port), '-H', '127.0.0.1'], {
    BENTOLABS_API_KEY: KEY,
    BENTOLABS_BASE_URL: ours.url,
    HOST_OTLP_URL: host.url,
    OTEL_BSP_SCHEDULE_DELAY: '100',
  });
  await ready(baseUrl, server);
}, 180_000);

afterAll(async () => {
  if (server && server.exitCode === null) {
    server.kill('SIGTERM');
    await exited(server);
  }
  await Promise.all([ours?.close(), host?.close()]);
});

describe('a real Next.js app traced by @vercel/otel', () => {
  it('our spans arrive after the response, as roots, and neither trace contains the other', {
    timeout: 60_000,
  }, async () => {
    // Our endpoint holds its answer: a flush before the response would hold the response too.
    ours.setFault({ kind: 'delay', millis: 2000, times: 1 });
    const res = await fetch(`${baseUrl}/api/chat`, {
      method: 'POST',
      body: JSON.stringify({ prompt: 'hi', convo: 'next-c1' }),
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status, serverLog).toBe(200);
    expect(await res.json()).toEqual({ reply: 'hello', convo: 'next-c1' });
    // The response is complete while our export is still unanswered: it went out through after().
    expect(ours.requests).toHaveLength(0);

    const spans = await ours.waitForSpans(2, 20_000);
    expect(spans.map((s) => s.name).sort()).toEqual(['next-app-llm', 'next-app-turn']);
    const turn = spans.find((s) => s.name === 'next-app-turn')!;
    const llm = spans.find((s) => s.name === 'next-app-llm')!;
    expect(turn.parentSpanId).toBeUndefined();
    expect(llm.parentSpanId).toBe(turn.spanId);
    expect(llm.traceId).toBe(turn.traceId);
    expect(turn.attributes['gen_ai.conversation.id']).toBe('next-c1');

    // The host's trace: Next's own spans for the request and the route's outgoing fetch.
    await host.waitForSpans(1, 20_000);
    const hostSpans = await waitForHostFetch();
    const hostTraces = new Set(hostSpans.map((s) => s.traceId));
    const hostIds = new Set(hostSpans.map((s) => s.spanId));
    for (const span of spans) {
      expect(hostTraces.has(span.traceId)).toBe(false);
      expect(span.parentSpanId === undefined || !hostIds.has(span.parentSpanId)).toBe(true);
    }
    const ourIds = new Set(spans.map((s) => s.spanId));
    for (const span of hostSpans) {
      expect(span.name.startsWith('next-app-')).toBe(false);
      expect(span.parentSpanId === undefined || !ourIds.has(span.parentSpanId)).toBe(true);
      // Our export requests are not part of the host's trace.
      expect(JSON.stringify(span.attributes)).not.toContain(`${ours.url}/v1/traces`);
    }
  });
});

/** Host spans once the route's `fetch` to /control (our control that host tracing works) arrived. */
async function waitForHostFetch() {
  const started = performance.now();
  for (;;) {
    const spans = [...host.spans];
    if (spans.some((s) => JSON.stringify(s.attributes).includes('/control'))) return spans;
    if (performance.now() - started > 20_000)
      throw new Error(
        `No host span for the route's fetch; host spans: ${spans.map((s) => s.name).join(', ')}\n${serverLog}`,
      );
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
