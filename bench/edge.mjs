/**
 * Edge and Web runtimes: the minified bundle each runtime's bundler makes of an edge route (its
 * export conditions pick the transport), and the `node:http` transport against the `fetch` one
 * on Node.js (the reason Node keeps `node:http`).
 */
import { spawnSync } from 'node:child_process';
import { build } from 'esbuild';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { root } from '../scripts/setup.mjs';
import { sdkResolver } from '../scripts/sdk-resolver.mjs';

/** Conditions as each platform's bundler or loader sets them. */
const RUNTIMES = [
  { name: 'Node.js', platform: 'node', conditions: [] },
  { name: 'Cloudflare Workers (wrangler)', platform: 'neutral', conditions: ['workerd', 'worker', 'browser'] },
  { name: 'Vercel Edge / Next edge route', platform: 'neutral', conditions: ['edge-light', 'worker', 'browser'] },
  { name: 'Deno', platform: 'neutral', conditions: ['deno'] },
  { name: 'Bun', platform: 'neutral', conditions: ['bun'] },
];

/** The edge goal from issue 15: an edge route's bundle of the SDK stays under this. */
const EDGE_BUDGET_BYTES = 60 * 1024;

async function bundleFor(runtime) {
  const result = await build({
    entryPoints: [path.join(root, 'bench', 'fixtures', 'edge-entry.mjs')],
    bundle: true,
    minify: true,
    format: 'esm',
    platform: runtime.platform,
    conditions: runtime.conditions,
    mainFields: ['module', 'main'],
    // The runtime provides these; `next/server` is the app's.
    external: ['node:*', 'cloudflare:*', 'next', 'next/*'],
    write: false,
    metafile: true,
    logLevel: 'silent',
    absWorkingDir: root,
    plugins: [sdkResolver],
  });
  const [output] = Object.values(result.metafile.outputs);
  const imports = output.imports.map((i) => i.path);
  // @opentelemetry/api is a dependency the app shares (Next and most OTel setups already have it).
  const api = Object.entries(output.inputs)
    .filter(([file]) => file.includes('node_modules/@opentelemetry/api/'))
    .reduce((sum, [, v]) => sum + v.bytesInOutput, 0);
  const contents = result.outputFiles[0].contents;
  return { bytes: contents.byteLength, api, gzip: gzipSync(contents).byteLength, imports };
}

export async function benchEdgeBundles() {
  const rows = [];
  for (const runtime of RUNTIMES) {
    const { bytes, api, gzip, imports } = await bundleFor(runtime);
    const http = imports.filter((i) => /^node:https?$/.test(i));
    const edge = runtime.platform === 'neutral';
    const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
    const ours = bytes - api;
    const httpNote = http.length ? `, imports ${http.join(', ')}` : '';
    rows.push({
      name: `edge route bundle, ${runtime.name} (esbuild, minified ESM)`,
      bento: `${kb(bytes)} (SDK ${kb(ours)} + @opentelemetry/api ${kb(api)}), gzip ${kb(gzip)}${httpNote}`,
      raw: edge ? `goal: SDK ≤ ${kb(EDGE_BUDGET_BYTES)}, no node:http` : 'node:http transport',
      result: edge
        ? `${http.length === 0 ? 'no node:http' : 'node:http FOUND'}; size goal ${ours <= EDGE_BUDGET_BYTES ? 'met' : 'NOT met'}`
        : '-',
    });
  }
  return rows;
}

/** Median time of one export-sized POST through each transport, in Node.js 20/24, Bun and Deno. */
export async function benchTransport() {
  const { ensureBun, ensureDeno, ensureNode } = await import('../scripts/runtimes.mjs');
  const race = path.join(root, 'bench', 'fixtures', 'transport-race.mjs');
  const dist = path.join(root, 'dist');
  const runs = [
    [process.execPath, [race, dist], 'node:http (default)'],
    [ensureNode(24), [race, dist], 'node:http (default)'],
    [ensureBun(), [race, dist], 'fetch (`bun` condition)'],
    [ensureDeno(), ['run', '--allow-net', '--allow-read', race, dist], 'fetch (`deno` condition)'],
  ];
  const rows = [];
  for (const [bin, args, chosen] of runs) {
    const out = spawnSync(bin, args, { encoding: 'utf8' });
    const line = out.stdout.trim().split('\n').pop();
    const r = JSON.parse(line || '{}');
    if (!r.runtime) throw new Error(`transport race failed in ${bin}: ${out.stderr}`);
    rows.push({
      name: `one 20 KB export POST, ${r.runtime} (median, keep-alive)`,
      bento: `node:http ${Math.round(r.nodeHttp * 1000)} µs`,
      raw: `fetch ${Math.round(r.fetch * 1000)} µs`,
      result: `${(r.fetch / r.nodeHttp).toFixed(2)}x (fetch / node:http); uses ${chosen}`,
    });
  }
  return rows;
}
