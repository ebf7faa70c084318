/**
 * Size of the esbuild-minified ESM bundle of examples/lambda against the same handler written
 * with raw OpenTelemetry, and a check that the example's bundle holds no Express, Next or Middy.
 */
import { build } from 'esbuild';
import path from 'node:path';
import { root } from '../scripts/setup.mjs';
import { sdkResolver } from '../scripts/sdk-resolver.mjs';
import { verdict } from './lib.mjs';

export async function bundle(entry) {
  const result = await build({
    entryPoints: [path.join(root, entry)],
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    write: false,
    metafile: true,
    logLevel: 'silent',
    absWorkingDir: root,
    plugins: [sdkResolver],
    // ESM builds of OpenTelemetry where they exist, so the raw baseline is tree-shaken as well as ours.
    mainFields: ['module', 'main'],
  });
  return { bytes: result.outputFiles[0].contents.byteLength, inputs: Object.keys(result.metafile.inputs) };
}

export const FORBIDDEN =
  /node_modules\/(express|next|@middy\/core|middy-core-6|serverless-http|react|openai|@anthropic-ai\/sdk|ai|@ai-sdk\/[^/]+)\//;

export async function benchBundleSize() {
  const ours = await bundle('examples/lambda/src/handler.ts');
  const raw = await bundle('bench/fixtures/raw-otel-handler.ts');
  const leaks = ours.inputs.filter((i) => FORBIDDEN.test(i));
  const { benchEdgeBundles } = await import('./edge.mjs');
  return [
    ...(await benchEdgeBundles()),
    {
      name: 'examples/lambda bundle (esbuild, minified ESM)',
      bento: `${(ours.bytes / 1024).toFixed(1)} KB`,
      raw: `${(raw.bytes / 1024).toFixed(1)} KB (raw OTel handler)`,
      result: verdict(ours.bytes / raw.bytes, 1.2),
    },
    {
      name: 'framework code in the Lambda bundle',
      bento: leaks.length ? leaks.join(', ') : 'none',
      raw: '-',
      result: leaks.length ? 'FAIL' : 'ok',
    },
  ];
}
