/**
 * The CLI is a separate entry point: the SDK's own modules never import the dev server or the
 * CLI (a Lambda bundle must not carry them), and the built CLI and dashboard are self-contained
 * (no runtime dependency for the installed package).
 */
import { builtinModules } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { cliPath, ROOT } from './helpers.js';

function files(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? files(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

const importsOf = (source: string) =>
  [
    ...source.matchAll(
      /(?:^|[^\w.])(?:import|export)\b[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s+['"]([^'"]+)['"]/gm,
    ),
  ].map((m) => m[1] ?? m[2] ?? m[3]!);

describe('entry point isolation', () => {
  test('nothing in src/core, src/adapters or src/index.ts imports src/dev or src/cli', () => {
    const sdkFiles = [
      ...files(path.join(ROOT, 'src/core')),
      ...files(path.join(ROOT, 'src/adapters')),
      path.join(ROOT, 'src/index.ts'),
    ].filter((f) => f.endsWith('.ts'));
    expect(sdkFiles.length).toBeGreaterThan(5);
    const offenders = sdkFiles.flatMap((f) =>
      importsOf(fs.readFileSync(f, 'utf8'))
        .filter((s) => /(^|\/)(dev|cli)\//.test(s))
        .map((s) => `${path.relative(ROOT, f)} imports ${s}`),
    );
    expect(offenders).toEqual([]);
  });

  test('the built CLI imports only Node built-ins; the dashboard script imports nothing', () => {
    const cli = cliPath();
    const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
    const external = importsOf(fs.readFileSync(cli, 'utf8')).filter((s) => !builtins.has(s));
    expect(external).toEqual([]);
    expect(fs.readFileSync(cli, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
    const dashboard = path.join(path.dirname(cli), 'dashboard');
    expect(fs.readdirSync(dashboard).sort()).toEqual(['app.js', 'index.html']);
    expect(importsOf(fs.readFileSync(path.join(dashboard, 'app.js'), 'utf8'))).toEqual([]);
    expect(fs.readFileSync(path.join(dashboard, 'index.html'), 'utf8')).toContain('<style>');
  });

  test.runIf(fs.existsSync(path.join(ROOT, 'dist/index.js')))('the SDK build carries no dev-server code', () => {
    for (const f of files(path.join(ROOT, 'dist')).filter(
      (f) => /\.(c?js)$/.test(f) && !f.endsWith('cli.js') && !f.includes(`${path.sep}dashboard${path.sep}`),
    )) {
      const text = fs.readFileSync(f, 'utf8');
      expect(text, path.relative(ROOT, f)).not.toContain('startDevServer');
      expect(text, path.relative(ROOT, f)).not.toContain('bentolabs dev endpoint');
    }
  });
});
