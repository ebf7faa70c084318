/**
 * Shared set-up for `npm test` and `npm run demo`, so each works on a fresh clone: install
 * dependencies when they are missing or older than the lock file, then build when the build is
 * missing or older than the sources.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export function run(cmd, args, options = {}) {
  const result = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...options });
  if (result.status !== 0) {
    console.error(`\n✖ ${cmd} ${args.join(' ')} failed (exit ${result.status ?? result.signal})`);
    process.exit(result.status || 1);
  }
}

function newest(dir) {
  let latest = 0;
  if (!existsSync(dir)) return latest;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return latest;
}

export function ensureDependencies() {
  const marker = path.join(root, 'node_modules', '.package-lock.json');
  const lock = path.join(root, 'package-lock.json');
  if (!existsSync(marker) || statSync(marker).mtimeMs < statSync(lock).mtimeMs) {
    console.log('› Installing dependencies (npm ci)…');
    run('npm', ['ci', '--no-audit', '--no-fund']);
  }
}

export function ensureBuild({ force = false } = {}) {
  const built = existsSync(path.join(root, 'dist', 'index.js'))
    ? statSync(path.join(root, 'dist', 'index.js')).mtimeMs
    : 0;
  const sources = Math.max(
    newest(path.join(root, 'src')),
    newest(path.join(root, 'dashboard')),
    statSync(path.join(root, 'package.json')).mtimeMs,
  );
  if (force || built < sources) {
    console.log('› Building…');
    // tsup does not clean (parallel builds must never see an empty dist/), so a full build starts
    // from an empty one here: stale chunks must not reach the packed package.
    if (force) rmSync(path.join(root, 'dist'), { recursive: true, force: true });
    run('npm', ['run', 'build', '--silent']);
  }
}
