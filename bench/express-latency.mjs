/**
 * Request latency through a real Express app on 127.0.0.1, long-running mode, with and without
 * `bentoMiddleware()`: the middleware must add no noticeable latency there (goal: p50 ≤ 1.05×).
 * A third app with a no-op middleware shows what any one more Express layer costs. All apps record
 * the same span per request; only the middleware differs. Requests are sent one at a time over a
 * keep-alive connection, alternating between the apps in blocks (every other block reversed) so
 * all see the same machine conditions.
 *
 *   node bench/express-latency.mjs [requests=2000]     (after `npx tsup`)
 */
import http from 'node:http';
import { pathToFileURL } from 'node:url';
import express from 'express';
import * as bento from '@bentolabs/sdk';
import { bentoMiddleware } from '@bentolabs/sdk/express';
import { fmt, percentile, startSink, verdict } from './lib.mjs';

const WARMUP = 500;
const BLOCK = 100;

/** `middleware`: none, a no-op (what any Express middleware costs), or ours. */
function app(middleware) {
  const a = express();
  if (middleware === 'noop') a.use((req, res, next) => next());
  if (middleware === 'bento') a.use(bentoMiddleware({ serverless: false }));
  a.get('/chat', (req, res) => {
    bento.trackAi({ event: 'answer', model: 'gpt-4o', provider: 'openai', input: 'hi', output: 'hello' });
    res.json({ reply: 'hello' });
  });
  return a;
}

async function listen(a) {
  const server = http.createServer(a);
  server.keepAliveTimeout = 60_000;
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${server.address().port}/chat` };
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

/** One GET, resolved with its latency in milliseconds (request sent → body fully read). */
function timedGet(url) {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    http
      .get(url, { agent }, (res) => {
        res.resume();
        res.on('end', () => resolve(Number(process.hrtime.bigint() - start) / 1e6));
      })
      .on('error', reject);
  });
}

async function measure(targets, requests) {
  const times = targets.map(() => []);
  for (let done = 0, block = 0; done < requests; done += BLOCK, block++) {
    // Every other block in reverse order, so no app always runs right after another.
    const order = [...targets.keys()];
    if (block % 2) order.reverse();
    for (const i of order) {
      for (let k = 0; k < Math.min(BLOCK, requests - done); k++) times[i].push(await timedGet(targets[i].url));
    }
  }
  return times;
}

async function measureExpressLatency(requests) {
  const sink = await startSink();
  bento.init({ apiKey: 'bl_pk_bench_00000000', baseUrl: sink.url, logLevel: 'silent', flushOnExit: false });
  const targets = [await listen(app('none')), await listen(app('noop')), await listen(app('bento'))];
  await measure(targets, WARMUP);
  const before = bento.status();
  const [rawTimes, noopTimes, bentoTimes] = await measure(targets, requests);
  const after = bento.status();
  await bento.shutdown();
  for (const t of targets) t.server.close();
  agent.destroy();
  await sink.close();

  const stats = (t) => ({
    p50: percentile(t, 50),
    p99: percentile(t, 99),
    mean: t.reduce((a, b) => a + b, 0) / t.length,
  });
  const b = stats(bentoTimes);
  const r = stats(rawTimes);
  return {
    requests,
    bento: b,
    raw: r,
    noop: stats(noopTimes),
    // Shown for context: the middleware itself never flushes in long-running mode.
    exportRequests: after.exportRequests - before.exportRequests,
    rows: [
      {
        name: `Express p50 latency, long-running (${requests} req)`,
        bento: `${fmt(b.p50, 3)} ms`,
        raw: `${fmt(r.p50, 3)} ms (no middleware)`,
        result: verdict(b.p50 / r.p50, 1.05),
      },
      {
        name: `Express p99 latency, long-running (${requests} req)`,
        bento: `${fmt(b.p99, 3)} ms`,
        raw: `${fmt(r.p99, 3)} ms (no middleware)`,
        result: `${fmt(b.p99 / r.p99, 2)}×`,
      },
    ],
  };
}

/** Rows for bench/run.mjs. */
export async function benchExpressLatency(requests = 2000) {
  return (await measureExpressLatency(requests)).rows;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const requests = Number(process.argv[2] ?? 2000);
  const result = await measureExpressLatency(requests);
  const row = (cells) => `| ${cells.map((c, i) => String(c).padEnd([22, 10, 10, 10][i])).join(' | ')} |`;
  console.log(
    `Express on 127.0.0.1, ${requests} sequential keep-alive requests per app after ${WARMUP} warm-up, long-running mode`,
  );
  console.log(row(['', 'p50 (ms)', 'p99 (ms)', 'mean (ms)']));
  console.log(row(['-'.repeat(22), '-'.repeat(10), '-'.repeat(10), '-'.repeat(10)]));
  console.log(row(['without middleware', fmt(result.raw.p50, 3), fmt(result.raw.p99, 3), fmt(result.raw.mean, 3)]));
  console.log(row(['no-op middleware', fmt(result.noop.p50, 3), fmt(result.noop.p99, 3), fmt(result.noop.mean, 3)]));
  console.log(
    row(['with bentoMiddleware()', fmt(result.bento.p50, 3), fmt(result.bento.p99, 3), fmt(result.bento.mean, 3)]),
  );
  console.log(
    `\nbentoMiddleware() / without: p50 ${verdict(result.bento.p50 / result.raw.p50, 1.05)}; ` +
      `p99 ${fmt(result.bento.p99 / result.raw.p99, 2)}×`,
  );
  console.log(
    "bentoMiddleware() / no-op middleware (Express's own cost of one more layer removed): " +
      `p50 ${fmt(result.bento.p50 / result.noop.p50, 3)}×`,
  );
  console.log(
    `export requests during the measured run: ${result.exportRequests} (spans recorded: ${3 * requests}; the middleware adds none)`,
  );
  console.log(`node ${process.version}, ${new Date().toISOString().slice(0, 10)}`);
}
