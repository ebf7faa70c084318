/**
 * Removes the files tsup's two-format build makes that no entry point can reach: the CommonJS
 * copy and the types of `lambda-extension` (only the ESM `lambda-register.js` imports it, untyped) and the ESM copy of
 * `lambda-preload` (ESM users get `lambda-register.js`; `lambda-preload` serves `require` and the
 * types). They are taken out of dist/ and out of the build's metafiles, so the package check's
 * "no orphan chunk" and notices rules keep describing exactly what ships. Run by `npm run build`.
 */
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const UNREACHABLE = [
  'dist/lambda-extension.cjs',
  'dist/lambda-extension.d.ts',
  'dist/lambda-extension.d.cts',
  'dist/lambda-preload.js',
];

for (const file of UNREACHABLE) rmSync(path.join(root, file), { force: true });
const metaDir = path.join(root, '.tmp', 'build-meta');
if (existsSync(metaDir)) {
  for (const name of readdirSync(metaDir).filter((n) => n.endsWith('.json'))) {
    const file = path.join(metaDir, name);
    const meta = JSON.parse(readFileSync(file, 'utf8'));
    let changed = false;
    for (const out of UNREACHABLE) {
      if (meta.outputs?.[out]) {
        delete meta.outputs[out];
        changed = true;
      }
    }
    if (changed) writeFileSync(file, JSON.stringify(meta));
  }
}
