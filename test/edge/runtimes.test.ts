/**
 * The SDK in the edge and Web runtimes themselves, each installed from npm (scripts/runtimes.mjs):
 * Deno and Bun run a script, Cloudflare's workerd (miniflare 4) runs the README's Worker example
 * bundled by wrangler 4 as `wrangler deploy` bundles it. Each imports `@bentolabs/sdk` as an
 * installed package, so the `#transport` export conditions pick the fetch transport, and delivers
 * to the real receiver on 127.0.0.1.
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain ESM script without types
import { ensureBun, ensureDeno, ensureEdgeTool, ensureNode } from '../../scripts/runtimes.mjs';
import { KEY, readmeBlock, ROOT, scratchApp, start } from './helpers.js';
import { useReceiver } from '../support/sdk-helpers.js';

const SCRIPT = path.join(ROOT, 'test', 'fixtures', 'edge', 'script.mjs');
const WORKER = path.join(ROOT, 'test', 'fixtures', 'edge', 'worker.js');
const RUNNER = path.join(ROOT, 'test', 'fixtures', 'edge', 'miniflare-runner.mjs');

// Not the SDK's client: only the receiver's hooks (a fresh, healthy receiver for each test).
const receiver = useReceiver({ shutdownAfterEach: false });

/** Both spans of one turn arrived, the LLM call as the child of the trajectory (found across an await). */
async function expectTurn(turnName: string, llmName: string) {
  const spans = await receiver.waitForSpans(2, 20_000);
  const turn = spans.find((s) => s.name === turnName);
  const llm = spans.find((s) => s.name === llmName);
  expect(turn, JSON.stringify(spans.map((s) => s.name))).toBeDefined();
  expect(turn!.parentSpanId).toBeUndefined();
  expect(llm!.parentSpanId).toBe(turn!.spanId);
  expect(llm!.traceId).toBe(turn!.traceId);
  return { turn: turn!, llm: llm! };
}

// `fetch` sends `accept: */*`; our node:http transport sends no Accept header at all.
const sentByFetch = () => receiver.requests.every((r) => r.headers.accept === '*/*');

describe.each([
  ['Deno', () => [ensureDeno() as string, ['run', '--allow-env', '--allow-net', '--allow-read']]],
  ['Bun', () => [ensureBun() as string, []]],
] as const)('%s', (name, runtime) => {
  let app: ReturnType<typeof scratchApp>;
  let bin: string;
  let args: readonly string[];
  beforeAll(() => {
    [bin, args] = runtime() as [string, string[]];
    app = scratchApp(name.toLowerCase());
    writeFileSync(path.join(app.dir, 'package.json'), '{"type":"module"}\n');
  }, 300_000);
  afterAll(() => app?.remove());

  const run = (env: Record<string, string> = {}) =>
    start(bin, [...args, SCRIPT], {
      cwd: app.dir,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/tmp',
        BENTOLABS_API_KEY: KEY,
        BENTOLABS_BASE_URL: receiver.url,
        CONVO: `${name}-c1`,
        ...env,
      },
    });

  it('delivers a trajectory and its child through the fetch transport (protobuf)', async () => {
    const child = run();
    const out = await child.json;
    expect(out, child.output()).toEqual({ result: { ok: true, exported: 2, dropped: 0 }, protocol: 'http/protobuf' });
    const { turn } = await expectTurn('edge-turn', 'edge-llm');
    expect(turn.attributes['gen_ai.conversation.id']).toBe(`${name}-c1`);
    expect(receiver.requests.every((r) => r.encoding === 'protobuf')).toBe(true);
    expect(sentByFetch(), JSON.stringify(receiver.requests.map((r) => r.headers))).toBe(true);
  });

  it('415 to protobuf: resent as OTLP JSON; 503 with Retry-After: retried', async () => {
    receiver.setFault({ kind: 'reject-protobuf' });
    const child = run();
    expect((await child.json).result, child.output()).toEqual({ ok: true, exported: 2, dropped: 0 });
    await expectTurn('edge-turn', 'edge-llm');
    expect(receiver.requests.map((r) => [r.encoding, r.status])).toEqual([
      ['protobuf', 415],
      ['json', 200],
    ]);

    receiver.clear();
    receiver.setFault({ kind: 'status', status: 503, retryAfter: '0', times: 1 });
    const again = run();
    expect((await again.json).result, again.output()).toEqual({ ok: true, exported: 2, dropped: 0 });
    expect(receiver.requests.map((r) => r.status)).toEqual([503, 200]);
  });
});

describe('Cloudflare Workers (workerd through miniflare 4, bundled by wrangler 4)', () => {
  let node24: string;
  let wrangler: string;
  let miniflare: string;
  let app: ReturnType<typeof scratchApp>;
  beforeAll(() => {
    node24 = ensureNode(24);
    wrangler = ensureEdgeTool('wrangler');
    miniflare = ensureEdgeTool('miniflare');
    app = scratchApp('worker');
    writeFileSync(path.join(app.dir, 'package.json'), '{"private":true,"type":"module"}\n');
  }, 600_000);
  afterAll(() => app?.remove());

  it('the README Worker example is the fixture', () => {
    expect(readmeBlock('<!-- edge:worker-example -->')).toBe(readFileSync(WORKER, 'utf8'));
  });

  /** `wrangler deploy --dry-run` bundles the Worker; returns the bundle's path or wrangler's output. */
  async function bundle(
    name: string,
    date: string,
    flags: string[],
    entry = WORKER,
  ): Promise<{ script?: string; output: string }> {
    const dir = path.join(app.dir, name);
    mkdirSync(path.join(dir, 'src'), { recursive: true });
    copyFileSync(entry, path.join(dir, 'src', 'index.js'));
    writeFileSync(
      path.join(dir, 'wrangler.jsonc'),
      JSON.stringify({
        name: 'bento-edge-test',
        main: 'src/index.js',
        compatibility_date: date,
        compatibility_flags: flags,
      }),
    );
    // The scratch app's node_modules sits one level up, where Node's resolution finds it.
    const child = start(node24, [wrangler, 'deploy', '--dry-run', '--outdir', 'out'], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', WRANGLER_SEND_METRICS: 'false', CI: '1' },
    });
    const code = await child.exited;
    return { ...(code === 0 && { script: path.join(dir, 'out', 'index.js') }), output: child.output() };
  }

  async function serve(script: string, date: string, flags: string[]) {
    // From the script's folder: workerd refuses module paths that climb out of its starting directory.
    const child = start(node24, [RUNNER, miniflare, script, date, flags.join(',')], {
      cwd: path.dirname(script),
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/tmp',
        BINDINGS: JSON.stringify({ BENTOLABS_API_KEY: KEY, BENTOLABS_BASE_URL: receiver.url }),
      },
    });
    const ready = await child.json;
    if (typeof ready.url !== 'string') throw new Error(`miniflare did not start:\n${child.output()}`);
    return { url: ready.url, child, stop: () => child.process.stdin?.end() };
  }

  // 2025-06-01 is the date at which 0.1 failed: `unref is not a function` and unenv's
  // `http.request is not implemented yet!` with nodejs_compat; no bundle with nodejs_als alone.
  it.each([
    ['nodejs_als', '2025-06-01', ['nodejs_als']],
    ['nodejs_compat', '2025-06-01', ['nodejs_compat']],
    ['nodejs_compat, newest date', '2026-07-30', ['nodejs_compat']],
  ] as const)(
    '%s (%s): every span arrives, after the response, through ctx.waitUntil',
    {
      timeout: 180_000,
    },
    async (_label, date, flags) => {
      const built = await bundle(flags.join('-') + date, date, [...flags]);
      expect(built.script, built.output).toBeDefined();
      const source = readFileSync(built.script!, 'utf8');
      // The fetch transport was bundled, not node:http (which unenv stubs on workerd: 0.1 sent nothing).
      expect(source).not.toMatch(/from\s*["']node:https?["']/);
      expect(source).toContain('redirect: "manual"');
      const worker = await serve(built.script!, date, [...flags]);
      try {
        // Our endpoint holds its answer: a flush before the response would hold the response too.
        receiver.setFault({ kind: 'delay', millis: 1500, times: 1 });
        const res = await fetch(worker.url, { method: 'POST', body: JSON.stringify({ prompt: 'hi' }) });
        expect(res.status, worker.child.output()).toBe(200);
        expect(await res.json()).toEqual({ reply: 'echo: hi' });
        expect(receiver.requests).toHaveLength(0);
        const { llm } = await expectTurn('chat_turn', 'llm_call');
        expect(llm.attributes['output.value']).toBe('echo: hi');
      } finally {
        worker.stop();
        await worker.child.exited;
      }
    },
  );
  it('without nodejs_als/nodejs_compat: wrangler names the flag, and where node:async_hooks is stubbed init() does', {
    timeout: 120_000,
  }, async () => {
    const built = await bundle('no-flag', '2025-06-01', []);
    expect(built.output).toMatch(/node:async_hooks[\s\S]*nodejs_compat/);

    // What a bundler that replaces Node.js built-ins with empty modules produces.
    const { build } = await import('esbuild');
    // Copied out of the repo first: the repo's tsconfig maps `@bentolabs/sdk` to the sources.
    mkdirSync(path.join(app.dir, 'no-als'), { recursive: true });
    const entry = path.join(app.dir, 'no-als', 'worker.js');
    copyFileSync(path.join(ROOT, 'test', 'fixtures', 'edge', 'no-als-worker.js'), entry);
    const script = path.join(app.dir, 'no-als', 'index.js');
    await build({
      entryPoints: [entry],
      bundle: true,
      format: 'esm',
      platform: 'neutral',
      conditions: ['workerd', 'worker', 'browser'],
      mainFields: ['module', 'main'],
      outfile: script,
      logLevel: 'silent',
      plugins: [
        {
          name: 'empty-node-builtins',
          setup(b) {
            b.onResolve({ filter: /^node:/ }, (args) => ({ path: args.path, namespace: 'empty' }));
            b.onLoad({ filter: /.*/, namespace: 'empty' }, () => ({ contents: 'export {};', loader: 'js' }));
          },
        },
      ],
    });
    const worker = await serve(script, '2025-06-01', []);
    try {
      const res = await fetch(worker.url, { method: 'POST' });
      expect(res.status, worker.child.output()).toBe(200);
      const body = (await res.json()) as Record<string, string>;
      expect(body).toMatchObject({
        name: 'BentoConfigError',
        code: 'unsupported_runtime',
        option: 'AsyncLocalStorage',
      });
      expect(body.message).toMatch(/nodejs_als/);
      expect(body.message).toMatch(/nodejs_compat/);
    } finally {
      worker.stop();
      await worker.child.exited;
    }
  });
  it('a streamed body, a throwing handler and overlapping requests (nodejs_als)', { timeout: 180_000 }, async () => {
    const cases = path.join(ROOT, 'test', 'fixtures', 'edge', 'worker-cases.js');
    const built = await bundle('cases', '2025-06-01', ['nodejs_als'], cases);
    expect(built.script, built.output).toBeDefined();
    const worker = await serve(built.script!, '2025-06-01', ['nodejs_als']);
    try {
      // Streamed: the spans recorded while the body streams are delivered after its end.
      const streamed = await fetch(`${worker.url}stream?id=s`);
      expect(await streamed.text()).toBe('part 0;part 1;part 2;');
      const spans = await receiver.waitForSpans(3, 20_000);
      expect(spans.map((s) => s.name).sort()).toEqual(['chunk-s-0', 'chunk-s-1', 'chunk-s-2']);

      // The handler's error reaches the runtime (a 500); what it recorded is delivered.
      receiver.clear();
      const failed = await fetch(`${worker.url}error?id=e`);
      expect(failed.status).toBe(500);
      // workerd's error answer names the handler's own error, unchanged.
      expect(await failed.text()).toMatch(/boom e/);
      expect((await receiver.waitForSpans(1, 20_000)).map((s) => s.name)).toEqual(['before-error-e']);

      // Overlapping requests in one isolate: each tool span belongs to its own request's trajectory.
      receiver.clear();
      const ids = ['a', 'b', 'c', 'd'];
      const bodies = await Promise.all(ids.map(async (id) => (await fetch(`${worker.url}?id=${id}`)).text()));
      expect(bodies).toEqual(ids);
      const all = await receiver.waitForSpans(8, 20_000);
      for (const id of ids) {
        const parent = all.find((s) => s.name === `turn-${id}`);
        expect(all.find((s) => s.name === `tool-${id}`)?.parentSpanId).toBe(parent?.spanId);
      }
    } finally {
      worker.stop();
      await worker.child.exited;
    }
  });
});
