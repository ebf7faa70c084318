/**
 * Soak: 200,000 spans recorded at full speed while the endpoint goes down and up, in a child
 * process that runs the built SDK (`@bentolabs/sdk` from dist/). This parent process is the
 * endpoint: a loopback OTLP/HTTP receiver that cycles through up → closed port → up → 503 → up →
 * hang (then drops the hung connections), counting the spans it accepted by their span ids. It
 * then checks conservation (recorded = delivered + dropped), memory (heap/RSS sampled every
 * 250 ms in the child), leftovers after `shutdown()` (active handles, exit-hook listeners) and how
 * long the child takes to exit after its last line (it ends without `process.exit`).
 *
 * Not a test: run `npx tsup && node bench/soak.mjs` (about 20 s). Prints a Markdown table.
 * Options: --spans N (default 200000), --rate N (spans/s; default 0 = full speed),
 * --steady (the endpoint stays up: a baseline), --json (also print the raw results as JSON).
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const argValue = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? Number(args[i + 1]) : fallback;
};
const SPANS = argValue('--spans', 200_000);
// Spans per second; 0 = full speed (the default: the queue overflows on purpose).
const RATE = argValue('--rate', 0);
// --steady: the receiver never goes down (a baseline for the same load).
const STEADY = args.includes('--steady');
const CHUNK = 500;
const SAMPLE_EVERY_MILLIS = 250;
const MARK = '@soak ';
// The receiver's cycle (3.6 s): down in one of three ways every 1.2 s, for half a second each.
// Recording 200k spans takes a few seconds, so a run sees every kind of outage at least once.
const PHASES = [
  ['up', 700],
  ['down', 500],
  ['up', 700],
  ['503', 500],
  ['up', 700],
  ['hang', 500],
];

// ---------------------------------------------------------------------------------------------
// Child: the SDK under load. Talks to the parent through `@soak {json}` lines on stdout.

async function child() {
  const { setImmediate: tick } = await import('node:timers/promises');
  const bento = await import('@bentolabs/sdk');
  const say = (message) => process.stdout.write(`${MARK}${JSON.stringify(message)}\n`);
  const hookNames = ['beforeExit', 'SIGTERM', 'SIGINT'];
  const listeners = () => Object.fromEntries(hookNames.map((n) => [n, process.listenerCount(n)]));
  const listenersBefore = listeners();
  // Open stdout/stderr first, so their handles are part of the baseline and not taken for leaks.
  say({ type: 'start', pid: process.pid });
  void process.stderr;
  const resourcesBefore = process.getActiveResourcesInfo();

  const logs = { warn: 0, error: 0, firstLines: [], queueFullReported: 0 };
  const keep = (level) => (m) => {
    logs[level]++;
    // The queue-full line carries the number of drops it stands for.
    const counted = /Queue full, dropping span\. (\d+) span\(s\) dropped/.exec(m);
    if (counted) logs.queueFullReported += Number(counted[1]);
    if (logs.firstLines.length < 6) logs.firstLines.push(`${level}: ${m.slice(0, 160)}`);
  };
  const logger = { debug() {}, info() {}, warn: keep('warn'), error: keep('error') };
  bento.init({
    apiKey: 'bl_pk_soak_0000000000000000',
    baseUrl: process.env.SOAK_RECEIVER_URL,
    logger,
    logLevel: 'warn',
  });
  const listenersWhileRunning = listeners();

  const samples = [];
  const started = performance.now();
  // heapUsed as the run sees it, then (with --expose-gc) the live heap after a full collection:
  // the second is what tells a leak from garbage that simply was not collected yet.
  const sample = () => {
    const m = process.memoryUsage();
    globalThis.gc?.();
    samples.push({
      t: performance.now() - started,
      heapUsed: m.heapUsed,
      rss: m.rss,
      live: process.memoryUsage().heapUsed,
    });
  };
  sample();
  const sampler = setInterval(sample, SAMPLE_EVERY_MILLIS);

  const content = 'x'.repeat(200);
  for (let done = 0; done < SPANS; done += CHUNK) {
    const n = Math.min(CHUNK, SPANS - done);
    for (let i = 0; i < n; i++) {
      bento.trackAi({
        event: 'answer',
        userId: 'u1',
        convoId: `c${(done + i) % 97}`,
        model: 'gpt-4o',
        provider: 'openai',
        input: [{ role: 'user', content }],
        output: content,
        properties: { experiment_id: 17, seq: done + i },
        usage: { inputTokens: 10, outputTokens: 20 },
      });
    }
    // Let the exporter and the sampler run between chunks, as an app's awaits would.
    await tick();
    if (RATE > 0) {
      const ahead = ((done + n) / RATE) * 1000 - (performance.now() - started);
      if (ahead > 0) await new Promise((r) => setTimeout(r, ahead));
    }
  }
  const recordMillis = performance.now() - started;
  say({ type: 'recorded', recordMillis });

  // The parent now keeps the receiver up; drain what is still queued or in flight.
  for (;;) {
    await bento.flush({ timeoutMillis: 15_000 });
    const s = bento.status();
    if (s.queueLength === 0 && s.inFlight === 0) break;
  }
  const drainedMillis = performance.now() - started;
  sample();
  clearInterval(sampler);
  const final = bento.status();

  const shutdownStarted = performance.now();
  await bento.shutdown();
  const shutdownMillis = performance.now() - shutdownStarted;
  // Give anything the SDK scheduled during shutdown one turn to show up.
  await tick();
  say({
    type: 'done',
    recordMillis,
    drainedMillis,
    shutdownMillis,
    status: final,
    samples,
    logs,
    listenersBefore,
    listenersWhileRunning,
    listenersAfter: listeners(),
    resourcesBefore,
    resourcesAfter: process.getActiveResourcesInfo(),
  });
  // No process.exit(): the parent measures how long the event loop takes to let go.
}

// ---------------------------------------------------------------------------------------------
// Parent: the flaky endpoint, the clock, and the report.

async function parent() {
  const wallStarted = performance.now();
  const receiver = await flakyReceiver();
  const phaseCounts = { up: 0, down: 0, 503: 0, hang: 0 };

  const childProcess = spawn(
    process.execPath,
    ['--expose-gc', fileURLToPath(import.meta.url), '--child', '--spans', String(SPANS), '--rate', String(RATE)],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, SOAK_RECEIVER_URL: receiver.url },
    },
  );

  let cycling = true;
  let phaseTimer;
  const nextPhase = async (i) => {
    if (!cycling) return;
    const [mode, millis] = STEADY ? ['up', 60_000] : PHASES[i % PHASES.length];
    await receiver.setMode(mode);
    phaseCounts[mode]++;
    phaseTimer = setTimeout(() => void nextPhase(i + 1), millis);
  };
  await nextPhase(0);

  let recorded;
  let done;
  let doneAt;
  let buffer = '';
  childProcess.stdout.setEncoding('utf8');
  childProcess.stdout.on('data', (text) => {
    buffer += text;
    let nl;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      if (!line.startsWith(MARK)) {
        process.stdout.write(`[child] ${line}\n`);
        continue;
      }
      const message = JSON.parse(line.slice(MARK.length));
      if (message.type === 'recorded') {
        recorded = message;
        cycling = false;
        clearTimeout(phaseTimer);
        void receiver.setMode('up');
      } else if (message.type === 'done') {
        done = message;
        doneAt = performance.now();
      }
    }
  });

  const exit = await new Promise((resolve) => {
    const killer = setTimeout(() => {
      childProcess.kill('SIGKILL');
      resolve({ code: null, signal: 'SIGKILL (did not exit on its own)', at: performance.now() });
    }, 110_000);
    childProcess.on('exit', (code, signal) => {
      clearTimeout(killer);
      resolve({ code, signal, at: performance.now() });
    });
  });
  cycling = false;
  clearTimeout(phaseTimer);
  await receiver.close();
  const wallMillis = performance.now() - wallStarted;

  if (!done || !recorded) {
    console.error(`Soak child ended without its report (exit code ${exit.code}, signal ${exit.signal}).`);
    process.exitCode = 1;
    return;
  }

  const s = done.status;
  const delivered = receiver.stats.uniqueSpans;
  const conserved = s.recorded === delivered + s.dropped;
  const heap = done.samples.map((x) => x.heapUsed);
  const live = done.samples.map((x) => x.live);
  const rss = done.samples.map((x) => x.rss);
  const n = done.samples.length;
  const firstPart = (list) => Math.max(...list.slice(0, Math.max(1, Math.floor(n * 0.2))));
  const lastHalf = (list) => Math.max(...list.slice(Math.floor(n * 0.5)));
  const first20 = firstPart(live);
  const last50 = lastHalf(live);
  // Bounded: the live heap late in the run is no bigger than early on (10% + 2 MiB of slack).
  const bounded = last50 <= first20 * 1.1 + 2 * 1024 * 1024;
  const exitAfterLastLine = exit.at - doneAt;
  const mib = (b) => `${(b / 1024 / 1024).toFixed(1)} MiB`;
  const ms = (x) => `${Math.round(x)} ms`;
  const sdkHandles = done.resourcesAfter.filter(
    (r) => !done.resourcesBefore.includes(r) || countOf(done.resourcesAfter, r) > countOf(done.resourcesBefore, r),
  );
  const hooksLeft = Object.entries(done.listenersAfter).filter(([k, v]) => v !== done.listenersBefore[k]);

  const rows = [
    ['spans recorded (`status().recorded`)', fmtInt(s.recorded)],
    ['delivered (receiver: distinct span ids accepted with 200)', fmtInt(delivered)],
    [
      'dropped (`status().dropped`) = queue full + export failed',
      `${fmtInt(s.dropped)} = ${fmtInt(s.droppedQueueFull)} + ${fmtInt(s.droppedExportFailed)}`,
    ],
    [
      '**conservation** recorded = delivered + dropped',
      conserved
        ? `**holds** (${fmtInt(s.recorded)} = ${fmtInt(delivered)} + ${fmtInt(s.dropped)})`
        : `**VIOLATED** (${fmtInt(s.recorded)} ≠ ${fmtInt(delivered)} + ${fmtInt(s.dropped)}, ` +
          `off by ${fmtInt(s.recorded - delivered - s.dropped)})`,
    ],
    [
      '`status().exported` vs receiver',
      s.exported === delivered
        ? `equal (${fmtInt(s.exported)})`
        : `differ: SDK ${fmtInt(s.exported)}, receiver ${fmtInt(delivered)}`,
    ],
    ['duplicate deliveries (same span id accepted twice)', fmtInt(receiver.stats.duplicates)],
    [
      'export requests: accepted / 503 / hung / refused while down',
      `${fmtInt(receiver.stats.accepted)} / ${fmtInt(receiver.stats.status503)} / ${fmtInt(receiver.stats.hung)} / ` +
        '(connection refused, not seen by the receiver)',
    ],
    [
      'receiver phases during recording',
      `up ${phaseCounts.up}, closed port ${phaseCounts.down}, 503 ${phaseCounts['503']}, hang ${phaseCounts.hang}`,
    ],
    [
      `recording time (${fmtInt(SPANS)} \`trackAi\` in chunks of ${CHUNK}, \`await setImmediate\` between` +
        `${RATE ? `, paced at ${fmtInt(RATE)}/s` : ', full speed'})`,
      `${ms(done.recordMillis)} (${fmtInt(Math.round(s.recorded / (done.recordMillis / 1000)))} spans/s)`,
    ],
    ['drained (queue empty, nothing in flight) at', ms(done.drainedMillis)],
    ['SDK warn / error log lines (rate-limited)', `${done.logs.warn} / ${done.logs.error}`],
    [
      'queue-full drops reported by those log lines',
      `${fmtInt(done.logs.queueFullReported)} of ${fmtInt(s.droppedQueueFull)}` +
        (done.logs.queueFullReported < s.droppedQueueFull
          ? ' (**the rest was never logged**: the rate-limited summary was still pending at `shutdown()`)'
          : ''),
    ],
    ['peak heapUsed / peak RSS', `${mib(Math.max(...heap))} / ${mib(Math.max(...rss))}`],
    [
      'max heapUsed, first 20% vs last 50% of samples',
      `${mib(firstPart(heap))} vs ${mib(lastHalf(heap))} (${n} samples, every ${SAMPLE_EVERY_MILLIS} ms)`,
    ],
    ['max live heap after full GC, first 20% vs last 50%', `${mib(first20)} vs ${mib(last50)}`],
    ['memory bounded (live heap: last-50% max ≤ 1.1 × first-20% max + 2 MiB)', bounded ? 'yes' : '**NO**'],
    ['`shutdown()` took', ms(done.shutdownMillis)],
    [
      'active resources after `shutdown()` (new since start)',
      sdkHandles.length ? `**${sdkHandles.join(', ')}**` : `none (all: ${done.resourcesAfter.join(', ') || 'none'})`,
    ],
    ['`beforeExit`/`SIGTERM`/`SIGINT` listeners: before init → running → after `shutdown()`', hookNamesRow(done)],
    [
      'exit-hook listeners left after `shutdown()`',
      hooksLeft.length ? `**${hooksLeft.map(([k]) => k).join(', ')}**` : 'none',
    ],
    [
      'child exit after its last line (no `process.exit`)',
      exit.code === 0 ? ms(exitAfterLastLine) : `**exit ${exit.code ?? exit.signal}** after ${ms(exitAfterLastLine)}`,
    ],
    ['whole run (wall clock)', ms(wallMillis)],
  ];
  console.log(
    `\n### Soak: ${fmtInt(SPANS)} spans ${RATE ? `at ${fmtInt(RATE)}/s` : 'at full speed'}, ` +
      `${STEADY ? 'endpoint steady' : 'endpoint flapping'} (node ${process.version}, ` +
      `${new Date().toISOString().slice(0, 10)})\n`,
  );
  console.log('| measure | result |');
  console.log('|---|---|');
  for (const [k, v] of rows) console.log(`| ${k} | ${v} |`);
  if (done.logs.firstLines.length)
    console.log(`\nFirst SDK log lines:\n${done.logs.firstLines.map((l) => `    ${l}`).join('\n')}`);
  if (args.includes('--json'))
    console.log(
      JSON.stringify(
        { status: s, delivered, receiver: receiver.stats, phaseCounts, exitAfterLastLine, first20, last50 },
        null,
        2,
      ),
    );
  if (!conserved || !bounded || exit.code !== 0 || sdkHandles.length || hooksLeft.length) process.exitCode = 1;
}

function hookNamesRow(done) {
  return ['beforeExit', 'SIGTERM', 'SIGINT']
    .map((k) => `${k} ${done.listenersBefore[k]} → ${done.listenersWhileRunning[k]} → ${done.listenersAfter[k]}`)
    .join('; ');
}

const countOf = (list, item) => list.filter((x) => x === item).length;
const fmtInt = (x) => x.toLocaleString('en-US');

/**
 * A loopback OTLP/HTTP receiver whose port can be closed and reopened, or made to answer 503 or
 * to hang. Accepted spans are counted by span id, read straight from the protobuf bytes, so a
 * retried request that had in fact arrived counts once (and as a duplicate).
 */
async function flakyReceiver() {
  const stats = { requests: 0, accepted: 0, status503: 0, hung: 0, uniqueSpans: 0, duplicates: 0, undecodable: 0 };
  const seen = new Set();
  const hung = new Set();
  let mode = 'up';
  let server;
  let port = 0;

  const onRequest = (req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      stats.requests++;
      if (mode === '503') {
        stats.status503++;
        res.writeHead(503, { 'content-type': 'text/plain' }).end('unavailable');
        return;
      }
      if (mode === 'hang') {
        stats.hung++;
        hung.add(res);
        return;
      }
      let ids;
      try {
        ids = otlpSpanIds(Buffer.concat(chunks));
      } catch {
        stats.undecodable++;
        res.writeHead(400).end();
        return;
      }
      stats.accepted++;
      for (const id of ids) {
        if (seen.has(id)) stats.duplicates++;
        else seen.add(id);
      }
      stats.uniqueSpans = seen.size;
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  };

  const listen = () =>
    new Promise((resolve, reject) => {
      server = http.createServer(onRequest);
      server.keepAliveTimeout = 5000;
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        port = server.address().port;
        resolve();
      });
    });
  // Stops listening (connection refused from now on); requests being answered finish normally.
  const closePort = () => {
    const s = server;
    server = undefined;
    if (!s) return Promise.resolve();
    return new Promise((resolve) => {
      s.close(() => resolve());
      s.closeIdleConnections();
      // Do not wait for lingering keep-alive sockets: the port is already closed.
      setTimeout(resolve, 50);
    });
  };
  // A crash of a hung server: the client sees a reset, never an answer (so nothing was accepted).
  const dropHung = () => {
    for (const res of hung) res.socket?.destroy();
    hung.clear();
  };

  await listen();
  return {
    url: `http://127.0.0.1:${port}`,
    stats,
    async setMode(next) {
      if (mode === 'hang' && next !== 'hang') dropHung();
      if (next === 'down') await closePort();
      else if (!server) await listen();
      mode = next;
    },
    async close() {
      dropHung();
      const s = server;
      server = undefined;
      if (s) {
        s.closeAllConnections();
        await new Promise((r) => s.close(r));
      }
    },
  };
}

/** Span ids of an OTLP ExportTraceServiceRequest: resource_spans(1) → scope_spans(2) → spans(2) → span_id(2). */
function otlpSpanIds(buf) {
  const ids = [];
  for (const rs of lengthDelimited(buf, 0, buf.length, 1)) {
    for (const ss of lengthDelimited(buf, rs[0], rs[1], 2)) {
      for (const span of lengthDelimited(buf, ss[0], ss[1], 2)) {
        const [id] = lengthDelimited(buf, span[0], span[1], 2);
        if (id) ids.push(buf.toString('hex', id[0], id[1]));
      }
    }
  }
  return ids;
}

/** [start, end) of every length-delimited field `wanted` in buf[start, end). */
function lengthDelimited(buf, start, end, wanted) {
  const out = [];
  let pos = start;
  const varint = () => {
    let result = 0;
    let shift = 0;
    let byte;
    do {
      if (pos >= end) throw new Error('truncated varint');
      byte = buf[pos++];
      result += (byte & 0x7f) * 2 ** shift;
      shift += 7;
    } while (byte & 0x80);
    return result;
  };
  while (pos < end) {
    const key = varint();
    const field = Math.floor(key / 8);
    const wire = key & 7;
    if (wire === 0) varint();
    else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    else if (wire === 2) {
      const len = varint();
      if (field === wanted) out.push([pos, pos + len]);
      pos += len;
    } else throw new Error(`unsupported wire type ${wire}`);
  }
  if (pos !== end) throw new Error('field overruns its message');
  return out;
}

// Last, so every helper above is initialised before either role starts.
if (args.includes('--child')) await child();
else await parent();
