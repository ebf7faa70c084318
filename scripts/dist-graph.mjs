/**
 * Which files of a built package are reachable: a walk of the import graph from every entry that
 * package.json names (`exports` and `imports` in every condition, `bin`, `main`, `module`, `types`), following
 * static and dynamic imports, `require()`, `.d.ts` imports, `new URL('./x', import.meta.url)` (a
 * directory means its index.html) and the scripts and styles of an HTML page. A file nothing
 * reaches is an orphan: scripts/check-package.mjs fails on one. Entries come from package.json, so
 * a new entry point needs no change here.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

/** Every file path package.json names as an entry point, relative to the package root. */
export function entryPoints(pkg) {
  const found = new Set();
  const visit = (value, key) => {
    if (key === './package.json') return;
    if (typeof value === 'string') found.add(path.normalize(value));
    else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) visit(v, k);
  };
  visit(pkg.exports);
  // package.json `imports` (`#transport`): files the package's own chunks load by export condition,
  // with the declaration twins TypeScript reads for them.
  const exported = new Set(found);
  visit(pkg.imports);
  for (const f of [...found]) if (!exported.has(f)) found.add(f.replace(/\.(c|m)?js$/, '.d.$1ts'));
  visit(typeof pkg.bin === 'string' ? { bin: pkg.bin } : pkg.bin);
  for (const field of ['main', 'module', 'types']) if (typeof pkg[field] === 'string') visit(pkg[field]);
  return [...found].filter((f) => !f.includes('*'));
}

const CODE = /\.(c|m)?js$/;
const TYPES = /\.d\.(c|m)?ts$/;
// `from './x'`, `import './x'`, `import('./x')`, `require('./x')`, `new URL('./x', import.meta.url)`.
const CODE_REFERENCES = /(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*|\bnew URL\(\s*)(["'`])(\.{1,2}\/[^"'`]*)\1/g;
const HTML_REFERENCES = /\b(?:src|href)\s*=\s*["']([^"':]+)["']/g;

/** The package-relative files `file` refers to. */
function references(root, file) {
  const text = readFileSync(path.join(root, file), 'utf8');
  const dir = path.dirname(file);
  const targets = [];
  if (file.endsWith('.html')) {
    for (const m of text.matchAll(HTML_REFERENCES)) targets.push(path.join(dir, m[1]));
    return targets;
  }
  for (const m of text.matchAll(CODE_REFERENCES)) {
    let target = path.join(dir, m[2]);
    // A declaration file names the JavaScript file whose types it describes.
    if (TYPES.test(file)) target = target.replace(/\.(c|m)?js$/, '.d.$1ts');
    targets.push(target);
  }
  return targets;
}

function listFiles(root, dir) {
  return readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? listFiles(root, path.join(dir, d.name)) : [path.join(dir, d.name)],
  );
}

/**
 * Walks from the entries; returns the files under `dir` (default dist) that nothing reaches, and
 * the references that point at a file that does not exist.
 */
export function orphans(root, pkg, dir = 'dist') {
  const reached = new Set();
  const missing = [];
  const queue = entryPoints(pkg).map((entry) => ({ file: entry, from: 'package.json' }));
  while (queue.length > 0) {
    const { file, from } = queue.shift();
    let target = file;
    const full = path.join(root, target);
    if (existsSync(full) && statSync(full).isDirectory()) target = path.join(target, 'index.html');
    if (reached.has(target)) continue;
    if (!existsSync(path.join(root, target))) {
      missing.push(`${target} (referenced by ${from})`);
      continue;
    }
    reached.add(target);
    if (CODE.test(target) || TYPES.test(target) || target.endsWith('.html'))
      for (const next of references(root, target)) queue.push({ file: next, from: target });
  }
  const all = existsSync(path.join(root, dir)) ? listFiles(root, dir) : [];
  return { reached: [...reached], orphans: all.filter((f) => !reached.has(f)), missing };
}
