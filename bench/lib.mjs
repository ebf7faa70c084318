/** Small helpers shared by the benchmarks: a loopback OTLP sink, statistics, child-process timing. */
import { spawnSync } from 'node:child_process';
import http from 'node:http';

/** An HTTP server on 127.0.0.1 that reads each body and answers 200, counting requests. */
export async function startSink() {
  let requests = 0;
  const server = http.createServer((req, res) => {
    req.on('data', () => {});
    req.on('end', () => {
      requests++;
      res.writeHead(200, { 'content-type': req.headers['content-type'] ?? 'application/x-protobuf' });
      res.end();
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    get requests() {
      return requests;
    },
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(r);
      }),
  };
}

export function median(values) {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

export function percentile(values, p) {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

/** Runs `node --input-type=module -e code` `runs` times; the script prints one number (ms). */
export function timeInFreshProcesses(code, runs, cwd) {
  const times = [];
  for (let i = 0; i < runs; i++) {
    const out = spawnSync(process.execPath, ['--input-type=module', '-e', code], {
      cwd,
      encoding: 'utf8',
      env: { ...process.env, BENTOLABS_LOG_LEVEL: 'silent' },
    });
    if (out.status !== 0) throw new Error(`cold-start child failed: ${out.stderr}`);
    times.push(Number(out.stdout.trim().split('\n').pop()));
  }
  return times;
}

export const fmt = (n, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : String(n));

export function verdict(ratio, goal, lowerIsBetter = true) {
  const ok = lowerIsBetter ? ratio <= goal : ratio >= goal;
  return `${fmt(ratio, 2)}× (goal ≤ ${goal}×) ${ok ? 'met' : 'NOT met'}`;
}
