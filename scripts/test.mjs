/**
 * `npm test`: the whole suite from a fresh clone. Installs what the tests need (dependencies,
 * and Debian's Chromium for the dashboard's browser test), builds, type-checks, runs vitest and
 * then checks the packed package.
 */
import { existsSync } from 'node:fs';
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
run('npx', ['vitest', 'run', ...process.argv.slice(2)]);
