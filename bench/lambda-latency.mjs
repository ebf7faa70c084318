/**
 * `npm run bench -- lambda-latency`: what `wrapHandler` adds to a Lambda response, under AWS's
 * runtime interface client (Node 24, aws-lambda-ric 4.x; Node 22, 3.x) behind the Runtime API
 * emulator, with an OTLP sink answering 0 ms and 20 ms later. Per scenario, warm invocations of
 * the same handler:
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
const RUNS = Number(process.env.BENCH_LAMBDA_RUNS ?? 60);

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

async function scenario(LambdaSandbox, target, sink, handler, env) {
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
  const latency = [];
  const billed = [];
  let onTime = 0;
  try {
    for (let i = 0; i < WARMUP + RUNS; i++) {
      const before = sink.answers.length;
      const r = await box.invoke({ i });
      if (r.outcome !== 'success') throw new Error(`${handler}: ${r.outcome} ${r.body}\n${box.logs}`);
      if (i < WARMUP) continue;
      latency.push(r.respondedAt - r.startedAt);
      billed.push(r.frozenAt - r.startedAt);
      if (sink.answers.slice(before).some((t) => t <= r.frozenAt)) onTime++;
    }
  } finally {
    await box.stop();
  }
  // Exports answered after a freeze land later; let them drain before the next scenario.
  await new Promise((r) => setTimeout(r, 100));
  return { p50: pct(latency, 50), p95: pct(latency, 95), billed: pct(billed, 50), onTime: onTime / RUNS };
}

async function child(target, major) {
  const { LambdaSandbox } = await import(pathToFileURL(path.join(ROOT, 'test/support/runtime-api/index.ts')).href);
  const sink = await startSink();
  const rows = [];
  try {
    for (const latencyMs of [0, 20]) {
      sink.setLatency(latencyMs);
      // The bare handler's process registers no extension (one would hold each unclaimed INVOKE).
      const bare = await scenario(LambdaSandbox, target, sink, 'handlers.asyncOkBare', {
        BENTOLABS_DELIVER_AFTER_RESPONSE: 'false',
      });
      const after = await scenario(LambdaSandbox, target, sink, 'handlers.asyncOk', {});
      const inline = await scenario(LambdaSandbox, target, sink, 'handlers.asyncOk', {
        BENTOLABS_DELIVER_AFTER_RESPONSE: 'false',
      });
      const label = `lambda nodejs${major}.x, receiver ${latencyMs} ms`;
      for (const [mode, m] of [
        ['after-response', after],
        ['inline', inline],
      ]) {
        rows.push({
          name: `${label}: ${mode} added latency p50 / p95`,
          bento: `${fmt(m.p50 - bare.p50)} / ${fmt(m.p95 - bare.p95)}`,
          raw: `bare ${fmt(bare.p50)} / ${fmt(bare.p95)}`,
          result: `${(m.p50 / bare.p50).toFixed(2)}× p50, ${(m.p95 / bare.p95).toFixed(2)}× p95`,
        });
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
