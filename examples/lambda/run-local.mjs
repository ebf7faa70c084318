#!/usr/bin/env node
// Runs the example handler locally, without AWS, under a stand-in for the Lambda Node.js runtime
// that freezes the process (SIGSTOP) the instant the handler settles, exactly as Lambda does
// between invocations. Three turns of one conversation; for each it prints the reply and how
// many of the spans the turn recorded had reached the endpoint by the time the process froze.
//
//   npm run build && node examples/lambda/run-local.mjs [--counter]
//
// The endpoint is `bentolabs dev` (dist/cli.js) when it was built, else (or with --counter) a
// minimal in-process OTLP/JSON counter. Exits 1 when any span did not arrive before its freeze.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const API_KEY = 'bl_pk_dev_local';
const MESSAGES = ['How do I get a refund?', 'And how long does shipping take?', 'Thanks, bye!'];

if (process.platform === 'win32')
  fail('The local runtime freezes the process with SIGSTOP, which Windows does not have.');
if (!fs.existsSync(path.join(root, 'dist', 'lambda.js')))
  fail('dist/ is missing: run `npm run build` in the repository root first.');

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bento-lambda-local-'));
const cleanups = [() => fs.rmSync(tmp, { recursive: true, force: true })];
let exitCode = 1;
try {
  exitCode = await main();
} catch (error) {
  console.error(`✖ ${error?.stack ?? error}`);
} finally {
  for (const cleanup of cleanups.reverse()) await cleanup();
}
process.exit(exitCode);

async function main() {
  const handlerModule = await bundleHandler();
  const { LambdaHarness } = await import(pathToFileURL(await bundleHarness()).href);
  const endpoint = await startEndpoint();
  console.log(`Endpoint: ${endpoint.url} (${endpoint.kind})`);

  const lambda = await LambdaHarness.start({
    handlerModule,
    functionName: 'ChatFunction',
    timeoutMillis: 10_000, // template.yaml's Timeout
    env: { BENTOLABS_API_KEY: API_KEY, BENTOLABS_BASE_URL: endpoint.url, ...endpoint.env },
  });
  cleanups.push(() => lambda.stop());

  const template = JSON.parse(fs.readFileSync(path.join(here, 'events', 'chat.json'), 'utf8'));
  let lost = 0;
  for (const [i, message] of MESSAGES.entries()) {
    const requestId = `local-turn-${i + 1}`;
    const body = JSON.stringify({ ...JSON.parse(template.body), message });
    const result = await lambda.invoke({ ...template, body }, { requestId });
    // The process is frozen now: what the endpoint holds is all that was delivered.
    const arrived = await endpoint.spansOf(requestId);
    if (result.outcome !== 'success') {
      console.log(`Turn ${i + 1}: ${result.outcome}: ${result.error?.name}: ${result.error?.message}\n${result.logs}`);
      lost += 1;
      continue;
    }
    const { reply, recordedSpans } = JSON.parse(result.result.body);
    const ok = arrived === recordedSpans;
    if (!ok) lost += Math.max(1, recordedSpans - arrived);
    console.log(
      `\nTurn ${i + 1} (${result.coldStart ? 'cold' : 'warm'} start, ${Math.round(result.durationMillis)} ms)`,
    );
    console.log(`  you:   ${message}`);
    console.log(`  reply: ${reply}`);
    console.log(`  spans: ${recordedSpans} recorded, ${arrived} arrived before the freeze ${ok ? '✔' : '✖'}`);
    if (!ok && result.logs.trim()) console.log(`  function log:\n${result.logs.replace(/^/gm, '    ')}`);
  }
  console.log(
    lost === 0 ? '\n✔ Nothing was lost at any freeze.' : `\n✖ ${lost} span(s) did not arrive before the freeze.`,
  );
  return lost === 0 ? 0 : 1;
}

/** The handler as `sam build` bundles it (template.yaml: esbuild, ESM, .mjs, a `require` banner). */
async function bundleHandler() {
  const outfile = path.join(tmp, 'handler.mjs');
  await build({
    entryPoints: [path.join(here, 'src', 'handler.ts')],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    banner: { js: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);" },
    logLevel: 'error',
    plugins: [packageFromRepository()],
  });
  return outfile;
}

/**
 * Resolves `@bentolabs/sdk` (and its subpaths) from the repository root, through the package's
 * own `exports` (so dist/), as `npm install` of the example's `file:../..` dependency would.
 */
function packageFromRepository() {
  return {
    name: 'bentolabs-sdk-from-repository',
    setup(b) {
      b.onResolve({ filter: /^@bentolabs\/sdk(\/.*)?$/ }, (args) => {
        if (args.pluginData === 'from-root') return undefined;
        return b.resolve(args.path, { kind: args.kind, resolveDir: root, pluginData: 'from-root' });
      });
    },
  };
}

/**
 * The test suite's Lambda runtime harness, bundled. It spawns `runtime-child.mjs` from the
 * directory its own module lives in, so that file and its one import are copied next to the bundle.
 */
async function bundleHarness() {
  const source = path.join(root, 'test', 'support', 'lambda-runtime');
  const outfile = path.join(tmp, 'harness.mjs');
  await build({
    entryPoints: [path.join(source, 'index.ts')],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    logLevel: 'warning',
  });
  for (const file of ['runtime-child.mjs', 'response-stream.mjs'])
    fs.copyFileSync(path.join(source, file), path.join(tmp, file));
  return outfile;
}

/** `bentolabs dev` when it has been built (dist/cli.js), else a minimal in-process OTLP/JSON counter. */
async function startEndpoint() {
  const cli = path.join(root, 'dist', 'cli.js');
  return fs.existsSync(cli) && !process.argv.includes('--counter') ? startDevEndpoint(cli) : startCounter();
}

async function startDevEndpoint(cli) {
  const child = spawn(
    process.execPath,
    [cli, 'dev', '--port', '0', '--data', path.join(tmp, 'spans.ndjson'), '--quiet'],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  cleanups.push(() => stopChild(child));
  const url = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`bentolabs dev printed no URL within 10 s:\n${out}`)), 10_000);
    child.once('exit', (code) => reject(new Error(`bentolabs dev exited (${code}):\n${out}`)));
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => {
      out += chunk;
      // Its first line is stable on purpose: "BentoLabs dev endpoint listening on http://…".
      const match = /listening on (https?:\/\/\S+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
  });
  child.stdout.resume();
  return {
    kind: 'bentolabs dev, dashboard at the same URL while this runs',
    url,
    env: {},
    async spansOf(requestId) {
      const { spans } = await getJson(`${url}/api/spans`);
      return spans.filter((s) => s.attributes?.['faas.invocation_id'] === requestId).length;
    },
  };
}

async function startCounter() {
  const byInvocation = new Map();
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      try {
        // OTLP/JSON: resourceSpans[].scopeSpans[].spans[].attributes[{ key, value: { stringValue } }]
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        for (const rs of body.resourceSpans ?? [])
          for (const ss of rs.scopeSpans ?? [])
            for (const span of ss.spans ?? []) {
              const id = span.attributes?.find((a) => a.key === 'faas.invocation_id')?.value?.stringValue;
              byInvocation.set(id, (byInvocation.get(id) ?? 0) + 1);
            }
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      } catch {
        res.writeHead(400).end();
      }
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(resolve);
      }),
  );
  return {
    kind: 'built-in OTLP/JSON counter; `npm run build` adds the `bentolabs dev` dashboard',
    url: `http://127.0.0.1:${server.address().port}`,
    env: { BENTOLABS_PROTOCOL: 'http/json' },
    spansOf: async (requestId) => byInvocation.get(requestId) ?? 0,
  };
}

function getJson(url) {
  return new Promise((resolve, reject) => {
    http
      .get(url, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (text += c));
        res.on('end', () =>
          res.statusCode === 200 ? resolve(JSON.parse(text)) : reject(new Error(`GET ${url}: HTTP ${res.statusCode}`)),
        );
      })
      .on('error', reject);
  });
}

function stopChild(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  return new Promise((resolve) => {
    child.once('exit', resolve);
    child.kill('SIGTERM');
  });
}

function fail(message) {
  console.error(`✖ ${message}`);
  process.exit(1);
}
