/**
 * `node bench/exit-time.mjs`: how long a script that records and ends takes to exit when the
 * endpoint is down (it never answers, or refuses connections), by default and with
 * `exitFlushTimeoutMillis`; and how much heap one queued span takes (for the queue size decision
 * in the README). Needs dist/ (`npx tsup`).
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import { fileURLToPath } from 'node:url';

const child = fileURLToPath(new URL('./fixtures/exit-child.mjs', import.meta.url));

function runChild(env, args = []) {
  return new Promise((resolve) => {
    const started = performance.now();
    const p = spawn(process.execPath, [...args, child], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    p.stdout.on('data', (c) => (out += c));
    p.on('exit', () => {
      const ended = Number(out.trim().split('\n')[0]);
      resolve({ millis: performance.now() - started, afterScript: Date.now() - ended, out });
    });
  });
}

const hang = http.createServer((req) => req.resume());
await new Promise((r) => hang.listen(0, '127.0.0.1', r));
const refused = await new Promise((r) => {
  const s = net.createServer().listen(0, '127.0.0.1', () => {
    const { port } = s.address();
    s.close(() => r(port));
  });
});
const targets = {
  'never answers': `http://127.0.0.1:${hang.address().port}`,
  'connection refused': `http://127.0.0.1:${refused}`,
};

const baseline = await runChild({ SPANS: '1', RECEIVER_URL: 'http://127.0.0.1:9', BENTOLABS_ENABLED: 'false' });
console.log(
  `node ${process.version}; with the SDK disabled the exit comes ${baseline.afterScript} ms after the script's last line`,
);
console.log('| endpoint | spans | exitFlushTimeoutMillis | exit after the last line | whole process |');
console.log('| --- | --- | --- | --- | --- |');
for (const [name, url] of Object.entries(targets)) {
  for (const spans of [1, 5000]) {
    for (const budget of [undefined, '500']) {
      const env = {
        SPANS: String(spans),
        RECEIVER_URL: url,
        ...(budget && { BENTOLABS_EXIT_FLUSH_TIMEOUT_MILLIS: budget }),
      };
      const { millis, afterScript } = await runChild(env);
      console.log(
        `| ${name} | ${spans} | ${budget ?? '1500 (default)'} | ${(afterScript / 1000).toFixed(2)} s | ${(millis / 1000).toFixed(2)} s |`,
      );
    }
  }
}
hang.closeAllConnections();
hang.close();

const memory = JSON.parse(
  (await runChild({ MODE: 'memory', SPANS: '20000', RECEIVER_URL: 'http://127.0.0.1:9' }, ['--expose-gc'])).out,
);
console.log(`\nheap per queued span (typical trackAi, 20,000 queued): ${(memory.perSpan / 1024).toFixed(2)} KiB`);
for (const q of [2048, 8192, 32768])
  console.log(`  maxQueueSize ${q}: ~${((q * memory.perSpan) / 1024 / 1024).toFixed(1)} MiB when full`);
