/**
 * Shared pieces of the edge-runtime suites: a scratch app whose `node_modules/@bentolabs/sdk` is
 * this repo (its package.json `exports`/`imports` and dist/, resolved as an installed package
 * would be), child processes whose output is kept for failure messages, and the README's code
 * blocks, which the fixtures must equal (the examples are tested by running the fixtures).
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const KEY = 'bl_pk_test_edge_runtimes_0000';

/** A temp dir outside the repo (so the repo's tsconfig never applies) with the SDK "installed". */
export function scratchApp(prefix: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), `bento-${prefix}-`));
  mkdirSync(path.join(dir, 'node_modules', '@bentolabs'), { recursive: true });
  symlinkSync(ROOT, path.join(dir, 'node_modules', '@bentolabs', 'sdk'), 'dir');
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface Child {
  process: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
  /** The first stdout line that parses as JSON. */
  json: Promise<Record<string, unknown>>;
}

export function start(command: string, args: string[], options: SpawnOptions = {}): Child {
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], ...options });
  let out = '';
  let resolveJson!: (v: Record<string, unknown>) => void;
  let rejectJson!: (e: Error) => void;
  const json = new Promise<Record<string, unknown>>((resolve, reject) => {
    resolveJson = resolve;
    rejectJson = reject;
  });
  let buffered = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d;
    buffered += d;
    for (const line of buffered.split('\n').slice(0, -1)) {
      try {
        resolveJson(JSON.parse(line) as Record<string, unknown>);
      } catch {
        /* not the JSON line */
      }
    }
    buffered = buffered.slice(buffered.lastIndexOf('\n') + 1);
  });
  child.stderr?.on('data', (d: Buffer) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  void exited.then((code) => rejectJson(new Error(`${command} exited (${code}) without JSON:\n${out}`)));
  json.catch(() => undefined); // only an error for callers that wait for the JSON line
  return { process: child, output: () => out, exited, json };
}

/** The fenced code block of README.md that follows the line containing `marker`. */
export function readmeBlock(marker: string): string {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const at = readme.indexOf(marker);
  if (at < 0) throw new Error(`README.md has no "${marker}"`);
  const match = /```[a-z]*\n([\s\S]*?)```/.exec(readme.slice(at));
  if (!match?.[1]) throw new Error(`README.md has no code block after "${marker}"`);
  return match[1];
}
