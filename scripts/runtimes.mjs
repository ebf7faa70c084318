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

/**
 * The edge and Web runtimes of the edge suites (test/edge), each from its npm package into the
 * cache: Deno and Bun ship their binaries in registry packages; Cloudflare's workerd comes with
 * miniflare 4, and wrangler 4 bundles a Worker as `wrangler deploy` would. Pinned, so a run
 * tests what the README says was tested. Wrangler and miniflare need Node.js >= 22.
 */
export const EDGE_TOOLS = {
  deno: { pkg: 'deno', version: '2.9.6', bin: 'node_modules/deno/bin.cjs' },
  bun: { pkg: 'bun', version: '1.4.5', bin: 'node_modules/bun/bin/bun.exe' },
  wrangler: { pkg: 'wrangler', version: '4.164.0', bin: 'node_modules/wrangler/bin/wrangler.js' },
  miniflare: { pkg: 'miniflare', version: '4.20260730.0', bin: 'node_modules/miniflare/package.json' },
};

/**
 * Path to the installed file `EDGE_TOOLS[name].bin`, installing the pinned package on first use.
 * @param {keyof typeof EDGE_TOOLS} name
 * @returns {string}
 */
export function ensureEdgeTool(name) {
  const { pkg, version, bin } = EDGE_TOOLS[name];
  const dir = path.join(cacheDir, `${pkg}-${version}`);
  const file = path.join(dir, bin);
  if (installedVersion(dir, pkg) !== version || !existsSync(file)) {
    console.log(`› Installing ${pkg}@${version} from npm into ${dir}…`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'package.json'), '{"private":true}\n');
    const result = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--no-save', `${pkg}@${version}`], {
      cwd: dir,
      stdio: 'inherit',
    });
    if (result.status !== 0 || !existsSync(file))
      throw new Error(`Could not install ${pkg}@${version} from npm into ${dir} (npm exit ${result.status})`);
  }
  return file;
}

/** The `deno` binary (npm `deno`). */
export function ensureDeno() {
  const launcher = ensureEdgeTool('deno');
  // The npm package's launcher is a script; the binary sits in the platform package beside it.
  const out = spawnSync(process.execPath, [launcher, 'eval', 'console.log(Deno.execPath())'], { encoding: 'utf8' });
  return out.status === 0 && out.stdout.trim() ? out.stdout.trim() : launcher;
}

/** The `bun` binary (npm `bun`). */
export function ensureBun() {
  return ensureEdgeTool('bun');
}
