/**
 * `npm run bench -- lambda-latency`: what `wrapHandler` adds to a Lambda response, under AWS's
 * runtime interface client (Node 24, aws-lambda-ric 4.x; Node 22, 3.x) behind the Runtime API
 * emulator, with an OTLP sink answering 0 ms and 20 ms later. The handlers are the pair in
 * test/lambda/fixtures/bench.mjs: the same body (one `trackAi` span), wrapped and unwrapped, so they
 * differ by the wrapper alone; a third process runs the unwrapped one with the extension
 * registered (test/lambda/fixtures/bench-extension.mjs): the share of the extension protocol itself.
 * Per scenario, warm invocations, in ROUNDS rounds that alternate every scenario and sink latency
 * (a machine whose load drifts then weighs on each alike), pooled:
 *   - added response latency: p50/p95 of (runtime posted the response − event handed over),
 *     minus the same for the bare (unwrapped) handler;
 *   - on time: the share of invocations whose export the sink answered before the freeze;
 *   - extra billed time: p50 of (freeze − event handed over) minus the bare handler's. Lambda
 *     bills until the runtime and every extension are back in `next`, so an export after the
 *     response is still billed time.
 * It runs itself under Node 24, which loads the TypeScript emulator with type stripping.
 */
import { spawnSync } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ensureNode, ensureRic } from '../scripts/runtimes.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.join(HERE, '..');
const WARMUP = 5;
const RUNS = Number(process.env.BENCH_LAMBDA_RUNS ?? 30);
const ROUNDS = Number(process.env.BENCH_LAMBDA_ROUNDS ?? 4);
const LATENCIES = [0, 20];
const EXTENSION_ONLY = 'extension registered, handler unwrapped:';
/** [mode, handler, env]; the first is the baseline. */
const SCENARIOS = [
  // The bare handler's process registers no extension (one would hold each unclaimed INVOKE).
  ['bare', 'bench.bare', { BENTOLABS_DELIVER_AFTER_RESPONSE: 'false', BENCH_UNWRAPPED: '1' }],
  // The extension protocol alone: the same handler, unwrapped, with the extension registered.
  [EXTENSION_ONLY, 'bench-extension.bare', {}],
  ['after-response', 'bench.wrapped', {}],
  ['inline', 'bench.wrapped', { BENTOLABS_DELIVER_AFTER_RESPONSE: 'false' }],
];

/** In the `npm run bench` process: runs the measurement under Node 24 and returns its rows. */
export async function benchLambdaLatency() {
  const rows = [];
  // BENCH_LAMBDA_MAJORS=24 measures one runtime only.
  const majors = (process.env.BENCH_LAMBDA_MAJORS ?? '24,22').split(',').map(Number);
  for (const major of majors) {
    const node24 = ensureNode(24);
    const target = { node: ensureNode(major), ric: ensureRic(major) };
    const out = spawnSync(node24, [fileURLToPath(import.meta.url), JSON.stringify(target), String(major)], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    if (out.status !== 0) throw new Error(`lambda-latency child failed (exit ${out.status})`);
    rows.push(...JSON.parse(out.stdout.trim().split('\n').pop()));
  }
  return rows;
}

/** An OTLP sink that answers `latency` ms after each request body arrived, noting when. */
async function startSink() {
  const answers = [];
  let latency = 0;
  const server = http.createServer((req, res) => {
    req.on('data', () => {});
    req.on('end', () =>
      setTimeout(() => {
        res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
        answers.push(performance.now());
      }, latency),
    );
  });
  server.keepAliveTimeout = 60_000;
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    answers,
    setLatency: (ms) => {
      latency = ms;
    },
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(r);
      }),
  };
}

const pct = (values, p) => {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const fmt = (n) => `${n.toFixed(2)} ms`;

/** One sandbox running `handler` for WARMUP + RUNS invocations; adds its samples to `into`. */
async function scenario(LambdaSandbox, target, sink, handler, env, into) {
  const box = await LambdaSandbox.start({
    ...target,
    taskRoot: path.join(ROOT, 'test', 'lambda', 'fixtures'),
    handler,
    timeoutMillis: 30_000,
    env: {
      BENTOLABS_API_KEY: 'bl_pk_bench_00000000',
      BENTOLABS_BASE_URL: sink.url,
      BENTOLABS_LOG_LEVEL: 'silent',
      ...env,
    },
  });
  try {
    for (let i = 0; i < WARMUP + RUNS; i++) {
      const before = sink.answers.length;
      const r = await box.invoke({ i });
      if (r.outcome !== 'success') throw new Error(`${handler}: ${r.outcome} ${r.body}\n${box.logs}`);
      if (i < WARMUP) continue;
      into.latency.push(r.respondedAt - r.startedAt);
      into.billed.push(r.frozenAt - r.startedAt);
      into.runs += 1;
      if (sink.answers.slice(before).some((t) => t <= r.frozenAt)) into.onTime++;
    }
  } finally {
    await box.stop();
  }
  // Exports answered after a freeze land later; let them drain before the next scenario.
  await new Promise((r) => setTimeout(r, 100));
}

const summary = (m) => ({
  p50: pct(m.latency, 50),
  p95: pct(m.latency, 95),
  billed: pct(m.billed, 50),
  onTime: m.onTime / m.runs,
});

async function child(target, major) {
  const { LambdaSandbox } = await import(pathToFileURL(path.join(ROOT, 'test/support/runtime-api/index.ts')).href);
  const sink = await startSink();
  const rows = [];
  try {
    // Not measured: warms this process (the emulator, the sink) up, so that the first scenario
    // measured does not pay for its JIT.
    await scenario(LambdaSandbox, target, sink, 'bench.wrapped', {}, { latency: [], billed: [], onTime: 0, runs: 0 });
    const samples = new Map();
    const of = (latencyMs, mode) => {
      const key = `${latencyMs} ${mode}`;
      if (!samples.has(key)) samples.set(key, { latency: [], billed: [], onTime: 0, runs: 0 });
      return samples.get(key);
    };
    for (let round = 0; round < ROUNDS; round++) {
      for (const latencyMs of LATENCIES) {
        sink.setLatency(latencyMs);
        for (const [mode, handler, env] of SCENARIOS) {
          await scenario(LambdaSandbox, target, sink, handler, env, of(latencyMs, mode));
        }
      }
    }
    for (const latencyMs of LATENCIES) {
      const bare = summary(of(latencyMs, 'bare'));
      const label = `lambda nodejs${major}.x, receiver ${latencyMs} ms`;
      for (const [mode] of SCENARIOS.slice(1)) {
        const m = summary(of(latencyMs, mode));
        rows.push({
          name: `${label}: ${mode} added latency p50 / p95`,
          bento: `${fmt(m.p50 - bare.p50)} / ${fmt(m.p95 - bare.p95)}`,
          raw: `bare ${fmt(bare.p50)} / ${fmt(bare.p95)}`,
          result: `${(m.p50 / bare.p50).toFixed(2)}× p50, ${(m.p95 / bare.p95).toFixed(2)}× p95`,
        });
        if (mode === EXTENSION_ONLY) continue;
        rows.push({
          name: `${label}: ${mode} on time, extra billed p50`,
          bento: `${(m.onTime * 100).toFixed(0)} %, +${fmt(m.billed - bare.billed)}`,
          raw: `bare billed ${fmt(bare.billed)}`,
          result: `${(m.billed / bare.billed).toFixed(2)}× billed`,
        });
      }
    }
  } finally {
    await sink.close();
  }
  console.log(JSON.stringify(rows));
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2]) {
  await child(JSON.parse(process.argv[2]), Number(process.argv[3]));
}
