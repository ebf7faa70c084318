/**
 * What scripts/check-package.mjs checks about the files of the package: every dist/ file is
 * reached from an entry of package.json (scripts/dist-graph.mjs), and THIRD_PARTY_NOTICES.md
 * names every package bundled into dist/ (scripts/notices.mjs). The walk is tested on a small
 * package with a known orphan, then both checks on the real build (`npm run build` first).
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { orphans } from '../scripts/dist-graph.mjs';
import { bundledPackages, noticeProblems, noticesFile, renderNotices } from '../scripts/notices.mjs';

const root = fileURLToPath(new URL('../', import.meta.url));
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
const built = existsSync(path.join(root, 'dist/index.js')) && existsSync(path.join(root, '.tmp/build-meta'));

describe('the import-graph walk', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'bento-dist-graph-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const write = (file: string, text: string) => {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), text);
  };

  it('reaches what the entries import in every form, and reports what nothing imports', () => {
    const fake = {
      exports: {
        '.': {
          import: { types: './dist/index.d.ts', default: './dist/index.js' },
          require: { types: './dist/index.d.cts', default: './dist/index.cjs' },
        },
        './package.json': './package.json',
      },
      bin: { fake: './dist/cli.js' },
    };
    write('dist/index.js', 'import { a } from "./chunk-A.js";\nexport const b = () => import("./lazy-B.js");');
    write('dist/chunk-A.js', 'export const a = 1;');
    write('dist/lazy-B.js', 'export {};');
    write('dist/index.cjs', 'const a = require("./chunk-C.cjs");');
    write('dist/chunk-C.cjs', 'module.exports = 1;');
    write('dist/index.d.ts', "import { T } from './types-D.js';\nexport type { T };");
    write('dist/types-D.d.ts', 'export type T = 1;');
    write('dist/index.d.cts', 'export type T = 1;');
    write('dist/cli.js', 'const ui = new URL("./dashboard/", import.meta.url);');
    write('dist/dashboard/index.html', '<script type="module" src="app.js"></script>');
    write('dist/dashboard/app.js', '');
    // 0.1's orphans: a detector chunk nothing loads, and a chunk only that detector imports.
    write('dist/getMachineId-linux-X.js', 'import { e } from "./chunk-E.js";');
    write('dist/chunk-E.js', 'export const e = 1;');

    const graph = orphans(dir, fake);
    expect(graph.orphans.sort()).toEqual(['dist/chunk-E.js', 'dist/getMachineId-linux-X.js']);
    expect(graph.missing).toEqual([]);
    expect(graph.reached).toHaveLength(11);
  });

  it('reports an entry or import that points at a missing file', () => {
    write('dist/index.js', 'import "./gone.js";');
    const graph = orphans(dir, { exports: { '.': './dist/index.js', './extra': './dist/extra.js' } });
    expect(graph.missing.sort()).toEqual([
      'dist/extra.js (referenced by package.json)',
      'dist/gone.js (referenced by dist/index.js)',
    ]);
  });
});

describe.skipIf(!built)('the real build', () => {
  it('emits no file that the entries of package.json do not reach (0.1: 12 orphan chunks)', () => {
    const graph = orphans(root, pkg);
    expect(graph.orphans).toEqual([]);
    expect(graph.missing).toEqual([]);
    expect(readdirSync(path.join(root, 'dist')).filter((f) => f.startsWith('getMachineId'))).toEqual([]);
  });

  it('THIRD_PARTY_NOTICES.md names every bundled package with its version; a missing entry is reported', () => {
    const packages = bundledPackages();
    const names = packages.map((p) => p.name);
    // What the library and CLI bundle today (the dashboard's preact and htm; no OpenTelemetry code
    // since 0.2, see README "Decisions"); a new bundled package must get its entry.
    expect(names).toEqual(expect.arrayContaining(['preact', 'htm']));
    expect(names.filter((n) => n.startsWith('@opentelemetry/'))).toEqual([]);
    const current = readFileSync(noticesFile, 'utf8');
    expect(noticeProblems(current, packages)).toEqual([]);
    for (const p of packages) expect(current).toContain(`## ${p.name} ${p.version}\n`);

    const one = packages.find((p) => p.name === 'preact')!;
    const withoutOne = current.replace(`## ${one.name} ${one.version}\n`, '## (removed)\n');
    expect(noticeProblems(withoutOne, packages)).toEqual([
      `no notice for ${one.name} ${one.version} (bundled into the ${[...one.parts].join(', ')})`,
    ]);
    expect(noticeProblems(renderNotices(packages.slice(1)), packages)).toHaveLength(1);
  });

  it('the packed package carries LICENSE and the notices', () => {
    expect(pkg.files).toEqual(expect.arrayContaining(['LICENSE', 'THIRD_PARTY_NOTICES.md']));
    expect(readFileSync(path.join(root, 'LICENSE'), 'utf8')).toMatch(/Apache License\s+Version 2\.0[\s\S]*BentoLabs/);
  });
});
