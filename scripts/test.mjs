/**
 * `npm test`: the whole suite from a fresh clone. Installs what the tests need (dependencies,
 * and Debian's Chromium for the dashboard's browser test), builds, type-checks, runs vitest and
 * then checks the packed package. Node.js 22 and 24 and AWS's runtime interface client for each
 * (aws-lambda-ric 3.x and 4.x, built once into the cache) are installed first: vitest runs on
 * Node 24, and the Lambda suites start handlers under the real client on both.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ensureNode, ensureRic, NODE_MAJORS } from './runtimes.mjs';
import { ensureBuild, ensureDependencies, run } from './setup.mjs';

ensureDependencies();
if (!existsSync('/usr/bin/chromium')) {
  if (process.getuid?.() === 0) {
    console.log('› Installing Chromium for the dashboard test (apt-get)…');
    run('bash', [
      '-c',
      'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null',
    ]);
  } else {
    console.warn(
      "! /usr/bin/chromium is missing and this is not root: install Debian's chromium package for the dashboard test.",
    );
  }
}
run('npm', ['run', 'lint', '--silent']);
ensureBuild({ force: true });
run('npm', ['run', 'typecheck', '--silent']);
// The package checks run before the tests so that vitest's closing `N passed, N failed` line is
// the last thing printed (CI reads it).
run('node', ['scripts/check-package.mjs']);
for (const major of NODE_MAJORS) ensureRic(major);
const node24 = ensureNode(24);
// Node 24 first on PATH, so what the tests spawn as `node` (and npm) is Node 24 too.
run(node24, ['node_modules/vitest/vitest.mjs', 'run', ...process.argv.slice(2)], {
  env: { ...process.env, PATH: `${path.dirname(node24)}:${process.env.PATH}` },
});
