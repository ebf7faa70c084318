#!/usr/bin/env node
// Builds the `bentolabs` CLI and the dev dashboard with esbuild:
//   src/cli/main.ts  -> dist/cli.js            (ESM, node20, shebang; every dependency bundled)
//   dashboard/       -> dist/dashboard/index.html (CSS inlined) + dist/dashboard/app.js (minified,
//                       preact + htm bundled in)
// so the published package needs no runtime dependency for either. Run after `tsup`, whose
// `clean` empties dist/. Usage: node scripts/build-dev.mjs [--outdir <dir>]
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as esbuild from 'esbuild';
import { noMachineIdDetectors, saveMetafile } from './build-plugins.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: { outdir: { type: 'string' } } });
const outdir = path.resolve(values.outdir ?? path.join(root, 'dist'));
const dashboardOut = path.join(outdir, 'dashboard');

const started = Date.now();

await esbuild.build({
  entryPoints: [path.join(root, 'src/cli/main.ts')],
  outfile: path.join(outdir, 'cli.js'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // OpenTelemetry ships tree-shakeable ESM under `module` (same choice as tsup.config.ts).
  mainFields: ['module', 'main'],
  // Bundled CommonJS code may still call require() for Node built-ins; ESM has no require.
  banner: {
    js: [
      '#!/usr/bin/env node',
      "import { createRequire as __bentoCreateRequire } from 'node:module';",
      'const require = __bentoCreateRequire(import.meta.url);',
    ].join('\n'),
  },
  legalComments: 'none',
  logLevel: 'warning',
  plugins: [noMachineIdDetectors, saveMetafile('cli')],
});
fs.chmodSync(path.join(outdir, 'cli.js'), 0o755);

fs.rmSync(dashboardOut, { recursive: true, force: true });
await esbuild.build({
  entryPoints: [path.join(root, 'dashboard/src/main.ts')],
  outfile: path.join(dashboardOut, 'app.js'),
  bundle: true,
  minify: true,
  platform: 'browser',
  format: 'esm',
  target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
  legalComments: 'none',
  logLevel: 'warning',
  plugins: [saveMetafile('dashboard')],
});
const css = fs.readFileSync(path.join(root, 'dashboard/style.css'), 'utf8');
const html = fs
  .readFileSync(path.join(root, 'dashboard/index.html'), 'utf8')
  .replace(/\s*<!--[^>]*inlined[^>]*-->/, '')
  .replace('<link rel="stylesheet" href="style.css">', () => `<style>\n${css}</style>`);
fs.writeFileSync(path.join(dashboardOut, 'index.html'), html);

const size = (f) => `${(fs.statSync(f).size / 1024).toFixed(0)} KB`;
console.log(
  `build-dev: ${path.relative(root, path.join(outdir, 'cli.js'))} (${size(path.join(outdir, 'cli.js'))}), ` +
    `${path.relative(root, dashboardOut)}/app.js (${size(path.join(dashboardOut, 'app.js'))}) in ${Date.now() - started} ms`,
);
