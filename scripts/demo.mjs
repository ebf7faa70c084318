#!/usr/bin/env node
// `npm run demo`: the README's first command. From a fresh clone it installs and builds what is
// missing, starts the local endpoint (`bentolabs dev`), and runs the Lambda example
// (examples/lambda) through a Lambda runtime harness that freezes the process (SIGSTOP) the
// instant the handler returns: a short multi-turn conversation with tool calls. After every
// invocation it checks that every span the handler recorded reached the endpoint BEFORE the
// freeze, prints the trajectory trees and the dashboard URL, and exits non-zero if any did not.
//
//   node scripts/demo.mjs [--keep | --no-keep] [--port <n>] [--no-setup]
//     --keep      leave the endpoint and dashboard running until Ctrl-C (the default in a terminal)
//     --no-keep   print a static summary and stop (the default when stdout is not a terminal: CI, tests)
//     --port      port for the endpoint (default: a free one)
//     --no-setup  use dist/ as it is, fail if it is missing (the test suite builds first)
//     --handler   another handler module with the example's contract (tests use one that
//                 does not flush, to prove the check fails when spans are lost)
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values: opts } = parseArgs({
  options: {
    keep: { type: 'boolean' },
    'no-keep': { type: 'boolean' },
    port: { type: 'string' },
    'no-setup': { type: 'boolean' },
    handler: { type: 'string' },
  },
});
const color = process.stdout.isTTY && !process.env.NO_COLOR;
// In a terminal the dashboard stays up until Ctrl-C; elsewhere (CI, a test) the demo must end by itself.
const keep = opts['no-keep'] ? false : (opts.keep ?? process.stdout.isTTY === true);
const paint = (code, text) => (color ? `\x1b[${code}m${text}\x1b[0m` : text);
const say = (text = '') => process.stdout.write(`${text}\n`);
const rel = (p) => path.relative(root, p);

const API_KEY = 'bl_pk_demo_local_0000';
const EXAMPLE = opts.handler ? path.resolve(opts.handler) : path.join(root, 'examples/lambda/src/handler.ts');
const TURNS = [
  'Hi! What are your shipping times?',
  "If the jacket doesn't fit, how do I get a refund?",
  'One more thing: how do I reset my password?',
  'Great, thanks for the help!',
];

// ---------------------------------------------------------------- set-up

function newest(p) {
  if (!fs.existsSync(p)) return 0;
  const stat = fs.statSync(p);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(0, ...fs.readdirSync(p).map((n) => newest(path.join(p, n))));
}

/** True when any output is missing or older than the newest input. */
function stale(outputs, inputs) {
  const built = Math.min(
    ...outputs.map((o) => (fs.existsSync(path.join(root, o)) ? fs.statSync(path.join(root, o)).mtimeMs : 0)),
  );
  return built === 0 || Math.max(...inputs.map((i) => newest(path.join(root, i)))) > built;
}

/** Runs a set-up step; `accept` may excuse a failure whose outputs the demo does not need. */
function run(command, args, why, accept = () => false) {
  say(paint('2', `▸ ${why}: ${command} ${args.join(' ')}`));
  const result = spawnSync(command, args, {
    cwd: root,
    stdio: ['ignore', 'inherit', 'inherit'],
    shell: process.platform === 'win32',
  });
  if (result.status === 0) return;
  if (accept()) {
    say(
      paint(
        '33',
        `▸ \`${command} ${args.join(' ')}\` reported errors (above), but the JavaScript the demo runs was built; continuing.`,
      ),
    );
    return;
  }
  throw new Error(`\`${command} ${args.join(' ')}\` failed (exit ${result.status ?? result.signal}).`);
}

function setUp() {
  if (opts['no-setup']) {
    const missing = [
      'node_modules',
      'dist/index.js',
      'dist/lambda.js',
      'dist/cli.js',
      'dist/dashboard/index.html',
    ].filter((p) => !fs.existsSync(path.join(root, p)));
    if (missing.length)
      throw new Error(
        `--no-setup, but ${missing.join(', ')} is missing: run \`npx tsup && node scripts/build-dev.mjs\` first.`,
      );
    return;
  }
  if (!fs.existsSync(path.join(root, 'node_modules'))) run('npm', ['ci'], 'Installing dependencies');
  const sdkInputs = ['src/core', 'src/adapters', 'src/index.ts', 'package.json', 'tsup.config.ts'];
  const sdkOutputs = ['dist/index.js', 'dist/lambda.js'];
  // A type error fails tsup's .d.ts step after the JavaScript was written; the demo only runs JS.
  if (stale(sdkOutputs, sdkInputs)) run('npx', ['tsup'], 'Building the SDK', () => !stale(sdkOutputs, sdkInputs));
  // tsup's `clean` empties dist/, so the CLI is checked after it.
  if (
    stale(
      ['dist/cli.js', 'dist/dashboard/index.html'],
      ['src/cli', 'src/dev', 'src/core', 'dashboard', 'scripts/build-dev.mjs'],
    )
  ) {
    run(process.execPath, ['scripts/build-dev.mjs'], 'Building the bentolabs CLI and dashboard');
  }
}

// ---------------------------------------------------------------- bundles

async function bundle(tmp) {
  const esbuild = await import('esbuild');
  // The example imports the package by name; point it at this checkout's build, as a deployed
  // bundle would use the published files.
  const sdk = {
    name: 'bentolabs-sdk-from-dist',
    setup(build) {
      build.onResolve({ filter: /^@bentolabs\/sdk(\/[a-z]+)?$/ }, (args) => ({
        path: path.join(root, 'dist', `${args.path.split('/')[2] ?? 'index'}.js`),
      }));
    },
  };
  const handlerFile = path.join(tmp, 'handler.mjs');
  await esbuild.build({
    entryPoints: [EXAMPLE],
    outfile: handlerFile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    mainFields: ['module', 'main'],
    plugins: [sdk],
    logLevel: 'error',
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  });

  // The harness finds runtime-child.mjs next to itself via import.meta.url; once bundled into the
  // temp dir that would point there, so each harness module keeps its own original URL.
  const runtimeDir = path.join(root, 'test/support/lambda-runtime');
  const keepUrl = {
    name: 'keep-import-meta-url',
    setup(build) {
      build.onLoad({ filter: /lambda-runtime[\\/][^\\/]+\.ts$/ }, (args) => ({
        contents: fs
          .readFileSync(args.path, 'utf8')
          .replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href)),
        loader: 'ts',
        resolveDir: path.dirname(args.path),
      }));
    },
  };
  const harnessFile = path.join(tmp, 'harness.mjs');
  await esbuild.build({
    entryPoints: [path.join(runtimeDir, 'index.ts')],
    outfile: harnessFile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    plugins: [keepUrl],
    logLevel: 'error',
  });
  return { handlerFile, harnessFile };
}

// ---------------------------------------------------------------- endpoint

function startEndpoint(dataFile) {
  const child = spawn(
    process.execPath,
    [
      path.join(root, 'dist/cli.js'),
      'dev',
      '--port',
      opts.port ?? '0',
      '--data',
      dataFile,
      ...(color ? [] : ['--no-color']),
    ],
    {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...(color && { FORCE_COLOR: '1' }) },
    },
  );
  const output = { text: '', forward: false };
  child.stdout.setEncoding('utf8').on('data', (chunk) => {
    output.text += chunk;
    if (output.forward) process.stdout.write(chunk);
  });
  child.stderr.setEncoding('utf8').on('data', (chunk) => {
    output.text += chunk;
    if (output.forward) process.stderr.write(chunk);
  });
  const url = new Promise((resolve, reject) => {
    const onData = () => {
      const m = /listening on (http:\/\/\S+)/.exec(output.text);
      if (m) {
        child.stdout.off('data', onData);
        resolve(m[1]);
      }
    };
    child.stdout.on('data', onData);
    child.once('exit', (code) => reject(new Error(`bentolabs dev exited (${code}) before listening:\n${output.text}`)));
  });
  return { child, output, url };
}

async function api(url) {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status}`);
  return res;
}

function httpApiEvent(body) {
  const now = new Date();
  return {
    version: '2.0',
    routeKey: 'POST /chat',
    rawPath: '/chat',
    rawQueryString: '',
    headers: { 'content-type': 'application/json', 'user-agent': 'bentolabs-demo' },
    requestContext: {
      accountId: '123456789012',
      apiId: 'demo',
      domainName: 'demo.execute-api.us-east-1.amazonaws.com',
      domainPrefix: 'demo',
      http: { method: 'POST', path: '/chat', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'bentolabs-demo' },
      requestId: randomUUID(),
      routeKey: 'POST /chat',
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    body: JSON.stringify(body),
    isBase64Encoded: false,
  };
}

// ---------------------------------------------------------------- main

async function main() {
  setUp();
  if (!fs.existsSync(EXAMPLE)) throw new Error(`The Lambda example is missing: ${rel(EXAMPLE)}`);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bentolabs-demo-'));
  const endpoint = startEndpoint(path.join(tmp, 'spans.ndjson'));
  let harness;
  const cleanUp = async () => {
    await harness?.stop().catch(() => undefined);
    if (endpoint.child.exitCode === null && endpoint.child.signalCode === null) {
      endpoint.child.kill('SIGTERM');
      await new Promise((resolve) => endpoint.child.once('exit', resolve));
    }
    fs.rmSync(tmp, { recursive: true, force: true });
  };
  try {
    const [url, { handlerFile, harnessFile }] = await Promise.all([endpoint.url, bundle(tmp)]);
    const { LambdaHarness } = await import(pathToFileURL(harnessFile).href);
    harness = await LambdaHarness.start({
      handlerModule: handlerFile,
      timeoutMillis: 10_000,
      functionName: 'bentolabs-demo-chat',
      env: { BENTOLABS_API_KEY: API_KEY, BENTOLABS_BASE_URL: url },
    });

    const convoId = `demo-${randomBytes(3).toString('hex')}`;
    const userId = 'user_ada';
    say(`${paint('1', 'BentoLabs demo')}: ${rel(EXAMPLE)} in a freezing Lambda harness → local endpoint ${url}`);
    say(
      paint(
        '2',
        `conversation ${convoId}, ${TURNS.length} turns; the process is SIGSTOPped the moment each invocation returns`,
      ),
    );
    say();

    let failures = 0;
    let recordedTotal = 0;
    let arrivedTotal = 0;
    for (const [i, message] of TURNS.entries()) {
      const result = await harness.invoke(httpApiEvent({ message, userId, convoId }));
      // invoke() resolves with the child already frozen: what the endpoint holds now is final.
      const { spans } = await (await api(`${url}/api/spans`)).json();
      const mine = spans.filter((s) => s.attributes['faas.invocation_id'] === result.requestId);
      const response =
        result.result && typeof result.result.body === 'string' ? JSON.parse(result.result.body) : undefined;
      const recorded = response?.recordedSpans;
      say(`${paint('1', `Turn ${i + 1}/${TURNS.length}`)}  ${userId}: "${message}"`);
      if (result.outcome !== 'success' || result.result?.statusCode !== 200) {
        failures++;
        say(
          paint(
            '31',
            `  ✗ invocation ${result.outcome}: ` +
              (result.error ? `${result.error.name}: ${result.error.message}` : `HTTP ${result.result?.statusCode}`),
          ),
        );
        say(result.logs.trim().replace(/^/gm, '    '));
        continue;
      }
      say(paint('2', `  ↳ ${response.reply}`));
      recordedTotal += recorded ?? 0;
      arrivedTotal += mine.length;
      if (typeof recorded !== 'number' || mine.length < recorded) {
        failures++;
        say(
          paint(
            '31',
            `  ✗ the handler recorded ${recorded ?? '?'} span(s); ${mine.length} reached the endpoint before the freeze`,
          ),
        );
      } else {
        say(
          paint(
            '32',
            `  ✓ ${mine.length}/${recorded} spans reached the endpoint before the freeze ` +
              `(${result.coldStart ? 'cold' : 'warm'} start, ${result.durationMillis.toFixed(0)} ms)`,
          ),
        );
      }
      for (const traceId of new Set(mine.filter((s) => !s.parentSpanId).map((s) => s.traceId))) {
        const tree = await (await api(`${url}/api/traces/${traceId}?format=text${color ? '&color=1' : ''}`)).text();
        say(tree.trimEnd().replace(/^/gm, '    '));
      }
      say();
    }

    const ok = failures === 0;
    say(
      ok
        ? paint(
            '32',
            `✓ All ${arrivedTotal} spans recorded in ${TURNS.length} invocations arrived before their freeze.`,
          )
        : paint(
            '31',
            `✗ ${failures} invocation(s) failed the check (${arrivedTotal}/${recordedTotal} spans arrived before the freeze).`,
          ),
    );
    if (!keep) {
      // The endpoint stops with the demo, so no link to a dashboard that is gone: a summary instead.
      const { spans } = await (await api(`${url}/api/spans`)).json();
      const tokens = (key) => spans.reduce((n, s) => n + (Number(s.attributes[key]) || 0), 0);
      const traces = new Set(spans.map((s) => s.traceId)).size;
      say(
        `Summary: ${traces} trajectories, ${spans.length} spans, conversation ${convoId}, ` +
          `tokens ${tokens('gen_ai.usage.input_tokens')} in → ${tokens('gen_ai.usage.output_tokens')} out.`,
      );
      const why = opts['no-keep'] ? '--no-keep' : 'Not a terminal';
      say(
        paint('2', `${why}, so the endpoint stopped with the demo; \`npm run demo -- --keep\` keeps the dashboard up.`),
      );
      await cleanUp();
      return ok ? 0 : 1;
    }
    await harness.stop();
    harness = undefined;
    say(`Dashboard: ${url}/#/session/${convoId}`);
    say(paint('1', 'The endpoint and dashboard keep running; new spans print below. Press Ctrl-C to stop.'));
    say(`  Send your own: BENTOLABS_BASE_URL=${url} BENTOLABS_API_KEY=${API_KEY}`);
    endpoint.output.forward = true;
    await new Promise((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await cleanUp();
    return ok ? 0 : 1;
  } catch (error) {
    await cleanUp();
    if (endpoint.output.text && !/listening on/.test(endpoint.output.text)) process.stderr.write(endpoint.output.text);
    throw error;
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(`demo failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
