#!/usr/bin/env node
// Checks the package as users get it, from the tarball `npm pack` makes of the current build:
//   1. publint and @arethetypeswrong/cli with every resolution profile (node10 included: a
//      TypeScript project on `"module": "commonjs"` resolves subpaths through `typesVersions`)
//      must report no errors;
//   2. an install test: a fresh app that already uses OpenTelemetry 3.x (`@opentelemetry/api`
//      1.10.0 + `@opentelemetry/core` ^3, the ECOSYSTEM.md peer-range trap) installs the tarball
//      with plain `npm install` (no --legacy-peer-deps), then records and flushes a span from ESM
//      and from CommonJS to a local receiver;
//   3. `@bentolabs/sdk/lambda` loads without resolving express, next or @middy/core (ESM and CJS);
//   4. no orphan: every dist/ file is reached from an entry of package.json (scripts/dist-graph.mjs),
//      and THIRD_PARTY_NOTICES.md names every package bundled into dist/ (scripts/notices.mjs);
//      the tarball carries LICENSE and THIRD_PARTY_NOTICES.md.
// Everything goes to a temp dir (npm cache included) that is removed at the end.
// Run after a build: `npm run build && npm run check:package`.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { orphans } from './dist-graph.mjs';
import { bundledPackages, noticeProblems, readMetafiles } from './notices.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const work = mkdtempSync(join(tmpdir(), 'bento-check-package-'));
const npmCache = join(work, 'npm-cache');
const started = performance.now();
const results = [];

function run(cmd, args, opts = {}) {
  return new Promise((resolve) => {
    execFile(
      cmd,
      args,
      {
        maxBuffer: 64 * 1024 * 1024,
        timeout: 120_000,
        ...opts,
        env: { ...process.env, npm_config_cache: npmCache, npm_config_update_notifier: 'false', ...opts.env },
      },
      (error, stdout, stderr) => {
        resolve({ ok: !error, code: error?.code ?? 0, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

async function step(name, fn) {
  const t0 = performance.now();
  try {
    const detail = await fn();
    results.push({ name, ok: true });
    console.log(`✔ ${name} (${Math.round(performance.now() - t0)} ms)${detail ? ` — ${detail}` : ''}`);
    return true;
  } catch (error) {
    results.push({ name, ok: false });
    console.log(`✘ ${name}\n${String(error?.message ?? error).replace(/^/gm, '    ')}`);
    return false;
  }
}

const bin = (name) => join(root, 'node_modules', '.bin', name);

/** A minimal OTLP/HTTP endpoint: remembers each POST body to /v1/traces and answers 200. */
async function startReceiver() {
  const bodies = [];
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      if (req.method === 'POST' && req.url === '/v1/traces') {
        bodies.push({
          contentType: req.headers['content-type'],
          authorization: req.headers.authorization,
          body: Buffer.concat(chunks),
        });
        res.writeHead(200, { 'content-type': 'application/x-protobuf', 'content-length': 0 }).end();
      } else res.writeHead(404).end();
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${server.address().port}`, bodies, close: () => new Promise((r) => server.close(r)) };
}

let tarball;
let app;
let receiver;
try {
  await step('dist/ exists (run `npm run build` first)', async () => {
    for (const entry of ['index', 'lambda', 'middy', 'express', 'next', 'openai', 'anthropic', 'ai']) {
      for (const ext of ['js', 'cjs', 'd.ts', 'd.cts']) {
        if (!existsSync(join(root, 'dist', `${entry}.${ext}`))) throw new Error(`missing dist/${entry}.${ext}`);
      }
    }
  });

  await step('every dist/ file is reached from an entry in package.json (no orphan chunk)', async () => {
    const graph = orphans(root, pkg);
    const problems = [
      ...graph.orphans.map((f) => `${f}: nothing imports it`),
      ...graph.missing.map((f) => `${f}: missing`),
    ];
    if (problems.length) throw new Error(problems.join('\n'));
    return `${graph.reached.length} files reached`;
  });

  await step('THIRD_PARTY_NOTICES.md names every package bundled into dist/', async () => {
    const metas = readMetafiles();
    // The metafiles must describe this dist/: every output exists, every built script is an output.
    const outputs = new Set(Object.values(metas).flatMap((m) => Object.keys(m.outputs)));
    const stale = [...outputs].filter((f) => !existsSync(join(root, f)));
    const unknown = orphans(root, pkg).reached.filter((f) => /\.(c|m)?js$/.test(f) && !outputs.has(f));
    if (stale.length || unknown.length)
      throw new Error(
        `.tmp/build-meta/ does not match dist/ (run \`npm run build\`): ${[...stale, ...unknown].join(', ')}`,
      );
    const problems = noticeProblems();
    if (problems.length) throw new Error(`${problems.join('\n')}\nRun \`node scripts/notices.mjs\` after the build.`);
    return bundledPackages(metas)
      .map((p) => `${p.name} ${p.version}`)
      .join(', ');
  });

  await step('npm pack', async () => {
    const r = await run('npm', ['pack', '--json', '--pack-destination', work], { cwd: root });
    if (!r.ok) throw new Error(r.stderr || r.stdout);
    const [info] = JSON.parse(r.stdout);
    tarball = join(work, info.filename);
    const files = info.files.map((f) => f.path);
    const legal = ['LICENSE', 'THIRD_PARTY_NOTICES.md'];
    const stray = files.filter((f) => !f.startsWith('dist/') && !['package.json', 'README.md', ...legal].includes(f));
    if (stray.length) throw new Error(`unexpected files in the tarball: ${stray.join(', ')}`);
    const absent = legal.filter((f) => !files.includes(f));
    if (absent.length) throw new Error(`missing from the tarball: ${absent.join(', ')}`);
    return `${info.filename}, ${files.length} files, ${(info.size / 1024).toFixed(0)} KB packed`;
  });
  if (!tarball) throw new Error('no tarball');

  await step('publint', async () => {
    const r = await run(bin('publint'), ['run', tarball, '--level', 'warning'], { cwd: root });
    const out = `${r.stdout}${r.stderr}`.trim();
    if (!r.ok || /error/i.test(out.replace(/No errors?/gi, ''))) throw new Error(out);
    return out.split('\n').pop();
  });

  await step('@arethetypeswrong/cli (every profile: node10, node16 CJS and ESM, bundler)', async () => {
    const r = await run(bin('attw'), [tarball, '--format', 'ascii', '--no-color', '--no-emoji'], { cwd: root });
    const lines = r.stdout.split('\n');
    const entrypoints = lines.filter((l) => /^"@bentolabs\/sdk/.test(l)).map((l) => l.replaceAll('"', ''));
    const results = lines.filter((l) => /^(node10|node16|bundler)/.test(l));
    const bad = results.filter((l) => !/: OK\b/.test(l));
    const node10 = results.filter((l) => l.startsWith('node10'));
    if (!r.ok || bad.length > 0 || entrypoints.length === 0 || node10.length !== entrypoints.length)
      throw new Error(`${r.stdout}${r.stderr}`);
    return `${entrypoints.length} entrypoints OK under node10, node16 (CJS and ESM) and bundler: ${entrypoints.join(', ')}`;
  });

  app = join(work, 'app');
  const appReady = await step('install into an OpenTelemetry 3.x app without --legacy-peer-deps', async () => {
    const { mkdirSync } = await import('node:fs');
    mkdirSync(app);
    writeFileSync(
      join(app, 'package.json'),
      JSON.stringify(
        {
          name: 'otel3-app',
          version: '1.0.0',
          private: true,
          dependencies: { '@opentelemetry/api': '1.10.0', '@opentelemetry/core': '^3.0.0' },
        },
        null,
        2,
      ),
    );
    // engine-strict=false is npm's default, spelled out: OTel 3 declares Node >= 22.15 and only
    // needs to install here, not run.
    const r = await run(
      'npm',
      ['install', tarball, '--no-audit', '--no-fund', '--engine-strict=false', '--loglevel=error'],
      { cwd: app },
    );
    if (!r.ok) throw new Error(`npm install failed (exit ${r.code}):\n${r.stderr || r.stdout}`);
    const installed = JSON.parse(readFileSync(join(app, 'node_modules/@bentolabs/sdk/package.json'), 'utf8')).version;
    const api = JSON.parse(readFileSync(join(app, 'node_modules/@opentelemetry/api/package.json'), 'utf8')).version;
    const core = JSON.parse(readFileSync(join(app, 'node_modules/@opentelemetry/core/package.json'), 'utf8')).version;
    if (installed !== pkg.version) throw new Error(`installed @bentolabs/sdk ${installed}, expected ${pkg.version}`);
    if (api !== '1.10.0') throw new Error(`@opentelemetry/api was changed to ${api}`);
    const nested = existsSync(join(app, 'node_modules/@bentolabs/sdk/node_modules/@opentelemetry/api'));
    const copies = nested ? ' (with a nested api copy)' : ', one shared api';
    return `@bentolabs/sdk ${installed} next to @opentelemetry/api ${api} and core ${core}${copies}`;
  });

  if (appReady) {
    receiver = await startReceiver();
    const recordScript = (loader) => `
${loader}
const expected = ${JSON.stringify(pkg.version)};
if (bento.SDK_VERSION !== expected) throw new Error('SDK_VERSION ' + bento.SDK_VERSION + ' != ' + expected);
bento.init({ apiKey: 'bl_pk_check_package_0001', baseUrl: process.argv[2], logLevel: 'warn' });
const id = bento.trackAi({ event: process.argv[3], model: 'm', provider: 'p', properties: { n: 1 } });
bento.flush().then((result) => { console.log(JSON.stringify({ id, result, status: bento.status().lastExport })); });
`;
    writeFileSync(join(app, 'esm.mjs'), recordScript("import * as bento from '@bentolabs/sdk';"));
    writeFileSync(join(app, 'cjs.cjs'), recordScript("const bento = require('@bentolabs/sdk');"));

    for (const [label, file] of [
      ['ESM import', 'esm.mjs'],
      ['CJS require', 'cjs.cjs'],
    ]) {
      await step(`${label} of @bentolabs/sdk records a span and flushes (ok:true)`, async () => {
        const event = `check-package-${file}`;
        const r = await run(process.execPath, [file, receiver.url, event], { cwd: app, timeout: 30_000 });
        if (!r.ok) throw new Error(r.stderr || r.stdout);
        const out = JSON.parse(r.stdout.trim().split('\n').pop());
        if (!out.result.ok || out.result.exported !== 1) throw new Error(`flush result ${JSON.stringify(out.result)}`);
        if (!/^[0-9a-f]{16}$/.test(out.id)) throw new Error(`span id ${out.id}`);
        const request = receiver.bodies.find((b) => b.body.includes(Buffer.from(event)));
        if (!request) throw new Error('the receiver got no request with the span');
        if (request.authorization !== 'Bearer bl_pk_check_package_0001')
          throw new Error(`authorization ${request.authorization}`);
        if (request.body.includes(Buffer.from(out.id, 'hex')) === false)
          throw new Error('span id not in the request body');
        return `${JSON.stringify(out.result)}, ${request.contentType}`;
      });
    }

    // The published types must compile in a strict project without skipLibCheck, where only
    // @opentelemetry/api is installed next to the SDK (the OTel SDK packages are bundled).
    await step(
      'published types compile (strict, nodenext, no skipLibCheck) with only @opentelemetry/api installed',
      async () => {
        const consumer = `import {
  init, trackAi, begin, status, BentoLabsSpanProcessor, BentoLabsTraceExporter, type BentoStatus,
} from '@bentolabs/sdk';
import { wrapHandler } from '@bentolabs/sdk/lambda';
import { bentoMiddleware as middy } from '@bentolabs/sdk/middy';
import { bentoMiddleware, bentoErrorHandler } from '@bentolabs/sdk/express';
import { wrapRouteHandler } from '@bentolabs/sdk/next';
import { wrapOpenAI } from '@bentolabs/sdk/openai';
import { wrapAnthropic } from '@bentolabs/sdk/anthropic';
import { bentoTelemetry } from '@bentolabs/sdk/ai';
init({ apiKey: 'bl_pk_types_000000000' });
const id: string = trackAi({ event: 'e' });
const s: BentoStatus = status();
export const h = wrapHandler(async (event: { body: string }) => ({ statusCode: 200, body: event.body + id + s.sdkVersion }));
export const all = [begin, middy, bentoMiddleware, bentoErrorHandler, wrapRouteHandler, BentoLabsSpanProcessor, BentoLabsTraceExporter];
const client = wrapOpenAI({ chat: { completions: { create: () => 1 } } });
export const integrations = [client, wrapAnthropic, bentoTelemetry({ captureInput: false })];
`;
        writeFileSync(join(app, 'consumer.mts'), consumer);
        writeFileSync(
          join(app, 'tsconfig.json'),
          JSON.stringify({
            compilerOptions: {
              strict: true,
              module: 'nodenext',
              moduleResolution: 'nodenext',
              target: 'es2022',
              noEmit: true,
              skipLibCheck: false,
              typeRoots: [join(root, 'node_modules/@types')],
              types: ['node'],
            },
            files: ['consumer.mts'],
          }),
        );
        const r = await run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', app], {
          cwd: app,
          timeout: 120_000,
        });
        if (!r.ok) throw new Error(r.stdout || r.stderr);
        if (existsSync(join(app, 'node_modules/@opentelemetry/sdk-trace-base')))
          throw new Error('sdk-trace-base is installed in the app, so this proves nothing');
        return 'all eight entry points type-check';
      },
    );

    // A project on `"module": "commonjs"` resolves with node10 rules, which ignore `exports`: the
    // subpaths must resolve through `typesVersions` (TS2307 for every one of them otherwise).
    await step('published types compile under "module": "commonjs" (node10 resolution)', async () => {
      const dir = join(app, 'node10');
      const { mkdirSync } = await import('node:fs');
      mkdirSync(dir, { recursive: true });
      writeFileSync(
        join(dir, 'consumer.ts'),
        readFileSync(join(app, 'consumer.mts'), 'utf8').replace(
          /^export const all = .*$/m,
          'export const all = [begin, middy, bentoMiddleware, bentoErrorHandler, wrapRouteHandler];',
        ),
      );
      writeFileSync(
        join(dir, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: {
            strict: true,
            module: 'commonjs',
            moduleResolution: 'node10',
            ignoreDeprecations: '6.0',
            target: 'es2022',
            noEmit: true,
            skipLibCheck: false,
            typeRoots: [join(root, 'node_modules/@types')],
            types: ['node'],
          },
          files: ['consumer.ts'],
        }),
      );
      const r = await run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', dir], {
        cwd: dir,
        timeout: 120_000,
      });
      if (!r.ok) throw new Error(r.stdout || r.stderr);
      return 'all five entry points type-check with moduleResolution node10';
    });

    // Fails any resolution of a framework package, from require() and from import.
    const forbidden = `const FORBIDDEN = /^(express|next|@middy\\/core|openai|@anthropic-ai\\/sdk|ai)(\\/|$)/;`;
    writeFileSync(
      join(app, 'forbid.cjs'),
      `${forbidden}
const Module = require('node:module');
const original = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  if (FORBIDDEN.test(request)) throw new Error('forbidden framework load: ' + request);
  return original.call(this, request, ...rest);
};
Module.register(${JSON.stringify('./forbid-hooks.mjs')}, require('node:url').pathToFileURL(__filename));
`,
    );
    writeFileSync(
      join(app, 'forbid-hooks.mjs'),
      `${forbidden}
export async function resolve(specifier, context, next) {
  if (FORBIDDEN.test(specifier)) throw new Error('forbidden framework load: ' + specifier);
  return next(specifier, context);
}
`,
    );
    writeFileSync(join(app, 'forbid-selftest.cjs'), "require('express');");
    await step('@bentolabs/sdk/lambda loads without express, next or @middy/core (ESM and CJS)', async () => {
      // The hook must itself work, or this check proves nothing.
      const self = await run(process.execPath, ['--require', './forbid.cjs', 'forbid-selftest.cjs'], { cwd: app });
      if (self.ok || !/forbidden framework load: express/.test(self.stderr))
        throw new Error(`the forbid hook does not work:\n${self.stderr}`);
      const selfEsm = await run(
        process.execPath,
        ['--require', './forbid.cjs', '--input-type=module', '-e', "await import('next/server')"],
        { cwd: app },
      );
      if (selfEsm.ok || !/forbidden framework load: next\/server/.test(selfEsm.stderr))
        throw new Error(`the ESM forbid hook does not work:\n${selfEsm.stderr}`);
      const check =
        "if (typeof lambda.wrapHandler !== 'function') throw new Error('wrapHandler missing'); console.log('ok')";
      const esm = await run(
        process.execPath,
        [
          '--require',
          './forbid.cjs',
          '--input-type=module',
          '-e',
          `const lambda = await import('@bentolabs/sdk/lambda'); ${check}`,
        ],
        { cwd: app },
      );
      if (!esm.ok) throw new Error(`ESM: ${esm.stderr}`);
      const cjs = await run(
        process.execPath,
        ['--require', './forbid.cjs', '-e', `const lambda = require('@bentolabs/sdk/lambda'); ${check}`],
        { cwd: app },
      );
      if (!cjs.ok) throw new Error(`CJS: ${cjs.stderr}`);
    });
  }
} catch (error) {
  results.push({ name: 'unexpected', ok: false });
  console.log(`✘ ${error?.stack ?? error}`);
} finally {
  await receiver?.close();
  rmSync(work, { recursive: true, force: true });
}

const failed = results.filter((r) => !r.ok);
const seconds = ((performance.now() - started) / 1000).toFixed(1);
console.log(
  failed.length === 0
    ? `check:package PASSED — ${results.length} checks in ${seconds} s (${pkg.name}@${pkg.version})`
    : `check:package FAILED — ${failed.length} of ${results.length} checks failed in ${seconds} s: ${failed.map((f) => f.name).join('; ')}`,
);
process.exit(failed.length === 0 ? 0 : 1);
