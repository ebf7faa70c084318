/**
 * Node.js runtimes for the test suite, installed from the npm registry (the `node` package ships
 * the binary in a registry package) and cached outside the clone, so a CI run in a fresh clone on
 * the same machine reuses them. Lambda runs Node.js 22 and 24; the suite runs on 24 and the Lambda
 * suites on both.
 *
 * The cache folder belongs to the test set-up: `BENTOLABS_TEST_CACHE`, else
 * `~/.cache/bentolabs-sdk-test`. Deleting it only costs a re-install.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const cacheDir = process.env.BENTOLABS_TEST_CACHE ?? path.join(os.homedir(), '.cache', 'bentolabs-sdk-test');

/** The Node.js majors the suite installs: what AWS Lambda runs (nodejs22.x, nodejs24.x). */
export const NODE_MAJORS = [22, 24];

/**
 * Path to a `node` binary of the given major, installed into the cache on first use.
 * @param {number} major
 * @returns {string}
 */
export function ensureNode(major) {
  const dir = path.join(cacheDir, `node-${major}`);
  const bin = path.join(dir, 'node_modules', 'node', 'bin', 'node');
  if (!works(bin, major)) {
    console.log(`› Installing Node.js ${major} from npm into ${dir}…`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'package.json'), '{"private":true}\n');
    const result = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--no-save', `node@${major}`], {
      cwd: dir,
      stdio: 'inherit',
    });
    if (result.status !== 0 || !works(bin, major)) {
      throw new Error(`Could not install Node.js ${major} from npm into ${dir} (npm exit ${result.status})`);
    }
  }
  return bin;
}

function works(bin, major) {
  if (!existsSync(bin)) return false;
  const out = spawnSync(bin, ['-p', 'process.versions.node'], { encoding: 'utf8' });
  return out.status === 0 && out.stdout.trim().split('.')[0] === String(major);
}

/** The package.json `version` of an installed package in `dir`, or undefined. */
export function installedVersion(dir, name) {
  const file = path.join(dir, 'node_modules', name, 'package.json');
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')).version : undefined;
}

// `node scripts/runtimes.mjs` installs every runtime and prints where each is.
if (import.meta.url === `file://${process.argv[1]}`) {
  for (const major of NODE_MAJORS) console.log(`node ${major}: ${ensureNode(major)}`);
}
