/**
 * Event-loop stall while large batches are encoded and sent, against a healthy loopback endpoint:
 *   - 40 spans with three 1 MB attributes each (120 MB), default protobuf: how many are delivered,
 *     the longest stall, and the stall per MB of the largest request;
 *   - one batch of 512 spans with a 20 KB `input.value` each (10 MB), protobuf vs JSON.
 * The stall is the longest gap between two ticks of a 5 ms interval timer, from the moment
 * `flush()` is called until it resolves (minus the 5 ms); recording itself is not measured.
 * `node bench/encode-stall.mjs` (after `npx tsup`), or `npm run bench -- encode`.
 */
import http from 'node:http';
import { pathToFileURL } from 'node:url';
import { fmt } from './lib.mjs';

// BENTO_SDK_DIST=<dir> measures another build (e.g. 0.1's dist/) with the same script.
const bento = await import(
  process.env.BENTO_SDK_DIST ? pathToFileURL(`${process.env.BENTO_SDK_DIST}/index.js`).href : '@bentolabs/sdk'
);

const MB = 1_000_000;

/** A loopback endpoint answering 200 to every body, remembering each body's size. */
async function startSizedSink() {
  const sizes = [];
  const server = http.createServer((req, res) => {
    let n = 0;
    req.on('data', (c) => {
      n += c.length;
    });
    req.on('end', () => {
      sizes.push(n);
      res.writeHead(200, { 'content-type': req.headers['content-type'] ?? 'application/x-protobuf' }).end();
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    sizes,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(r);
      }),
  };
}

async function measure({ spans, values, valueBytes, protocol }) {
  const sink = await startSizedSink();
  bento.init({
    apiKey: 'bl_pk_bench_00000000',
    baseUrl: sink.url,
    logLevel: 'silent',
    flushOnExit: false,
    protocol,
    maxQueueSize: Math.max(2048, spans),
    // One batch holding every span, started by flush() rather than by a full batch while recording.
    maxExportBatchSize: spans + 1,
    scheduledDelayMillis: 600_000,
  });
  // A different value per span, so nothing can be shared between them.
  for (let i = 0; i < spans; i++) {
    const properties = {};
    for (let v = 0; v < values; v++)
      properties[`big_${v}`] = String.fromCharCode(97 + ((i + v) % 26)).repeat(valueBytes);
    if (values === 0) bento.trackAi({ event: `span-${i}`, input: 'x'.repeat(valueBytes) });
    else bento.trackAi({ event: `span-${i}`, properties });
  }
  // Let the recording's own work drain before measuring the export.
  await new Promise((r) => setTimeout(r, 50));
  let last = performance.now();
  let maxGap = 0;
  const ticker = setInterval(() => {
    const now = performance.now();
    maxGap = Math.max(maxGap, now - last - 5);
    last = now;
  }, 5);
  const t0 = performance.now();
  last = t0;
  const result = await bento.flush({ timeoutMillis: 120_000 });
  const wall = performance.now() - t0;
  maxGap = Math.max(maxGap, performance.now() - last - 5);
  clearInterval(ticker);
  await bento.shutdown();
  await sink.close();
  const largest = Math.max(0, ...sink.sizes);
  const maxStall = maxGap;
  return {
    result,
    wall,
    maxStall,
    requests: sink.sizes.length,
    batchMB: (spans * Math.max(values, 1) * valueBytes) / MB,
    largestMB: largest / MB,
    totalMB: sink.sizes.reduce((a, b) => a + b, 0) / MB,
  };
}

function row(name, m, spans) {
  return {
    name,
    bento: `${m.result.exported}/${spans} delivered, longest stall ${fmt(m.maxStall, 0)} ms`,
    raw:
      `${fmt(m.batchMB, 0)} MB batch, ${m.requests} requests, largest ${fmt(m.largestMB, 2)} MB, ` +
      `${fmt(m.totalMB, 1)} MB sent, ${fmt(m.wall, 0)} ms`,
    result:
      `${fmt(m.maxStall / m.batchMB, 2)} ms per MB of batch, ` +
      `${fmt(m.maxStall / Math.max(m.largestMB, 0.001), 1)} ms per MB of the largest request` +
      (m.result.ok ? '' : ` (flush: ${m.result.error})`),
  };
}

export async function benchEncodeStall() {
  const rows = [];
  const big = await measure({ spans: 40, values: 3, valueBytes: MB, protocol: 'http/protobuf' });
  rows.push(row('40 spans × 3 × 1 MB, protobuf', big, 40));
  for (const protocol of ['http/protobuf', 'http/json']) {
    const m = await measure({ spans: 512, values: 0, valueBytes: 20_000, protocol });
    rows.push(row(`512 × 20 KB, ${protocol.slice(5)}`, m, 512));
  }
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const r of await benchEncodeStall()) console.log(`${r.name}: ${r.bento}; ${r.raw}; ${r.result}`);
}
