/**
 * Runs the real, built `bentolabs` CLI as a child process. dist/cli.js is used when it is newer
 * than every source it is built from (CI builds it first); otherwise this test process builds a
 * private copy with the same build script, so a stale or half-cleaned dist (tsup's `clean`)
 * never tests old code.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const SOURCES = ['src/cli', 'src/dev', 'src/core', 'dashboard', 'scripts/build-dev.mjs'];

function newestMtime(p: string): number {
  const stat = fs.statSync(p);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(0, ...fs.readdirSync(p).map((n) => newestMtime(path.join(p, n))));
}

let built: string | undefined;

/** Absolute path of a `cli.js` built from the current sources. */
export function cliPath(): string {
  if (built) return built;
  const dist = path.join(ROOT, 'dist');
  const cli = path.join(dist, 'cli.js');
  const dashboard = path.join(dist, 'dashboard', 'index.html');
  const sources = Math.max(...SOURCES.map((s) => newestMtime(path.join(ROOT, s))));
  if (
    fs.existsSync(cli) &&
    fs.existsSync(dashboard) &&
    Math.min(fs.statSync(cli).mtimeMs, fs.statSync(dashboard).mtimeMs) >= sources
  ) {
    return (built = cli);
  }
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'bentolabs-cli-'));
  execFileSync(process.execPath, [path.join(ROOT, 'scripts/build-dev.mjs'), '--outdir', outdir], { stdio: 'pipe' });
  return (built = path.join(outdir, 'cli.js'));
}

export function tempDir(prefix = 'bentolabs-dev-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** A child process whose output can be awaited line by line, without sleeping. */
export class CliProcess {
  stdout = '';
  stderr = '';
  readonly exited: Promise<number | null>;
  private readonly waiters = new Set<() => void>();

  constructor(readonly child: ChildProcess) {
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      this.stdout += chunk;
      this.wake();
    });
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderr += chunk;
      this.wake();
    });
    this.exited = new Promise((resolve) =>
      child.on('exit', (code) => {
        resolve(code);
        this.wake();
      }),
    );
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }

  /** Resolves with the first match of `pattern` in stdout (after `from`), failing after `timeoutMillis`. */
  waitFor(
    pattern: RegExp,
    options: { from?: number; stream?: 'stdout' | 'stderr'; timeoutMillis?: number } = {},
  ): Promise<RegExpMatchArray> {
    const read = () =>
      (options.stream === 'stderr' ? this.stderr : this.stdout).slice(options.from ?? 0).match(pattern);
    return new Promise((resolve, reject) => {
      const check = () => {
        const m = read();
        if (m) {
          done();
          resolve(m);
        } else if (this.child.exitCode !== null) {
          done();
          reject(
            new Error(
              `Process exited (${this.child.exitCode}) before ${pattern} appeared.\nstdout:\n${this.stdout}\nstderr:\n${this.stderr}`,
            ),
          );
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`Timed out waiting for ${pattern}.\nstdout:\n${this.stdout}\nstderr:\n${this.stderr}`));
      }, options.timeoutMillis ?? 15_000);
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }

  async stop(): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    return this.exited;
  }
}

export interface DevProcess extends CliProcess {
  url: string;
}

/** `node cli.js dev --port 0 --data <file> ...args`, resolved once it printed its URL. */
export async function startDev(
  dataFile: string,
  args: string[] = [],
  env: NodeJS.ProcessEnv = {},
): Promise<DevProcess> {
  const child = spawn(process.execPath, [cliPath(), 'dev', '--port', '0', '--data', dataFile, ...args], {
    env: { ...process.env, NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const proc = new CliProcess(child);
  const [, url] = await proc.waitFor(/listening on (http:\/\/\S+)/);
  return Object.assign(proc, { url: url! });
}

/** `node cli.js doctor --json` with exactly `env` (plus PATH), parsed. */
export async function runDoctor(
  env: Record<string, string>,
  args: string[] = [],
): Promise<{ code: number | null; report: DoctorJson; stdout: string }> {
  const child = spawn(process.execPath, [cliPath(), 'doctor', '--json', '--timeout', '3000', ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const proc = new CliProcess(child);
  const code = await proc.exited;
  try {
    return { code, report: JSON.parse(proc.stdout) as DoctorJson, stdout: proc.stdout };
  } catch {
    throw new Error(`doctor printed no JSON (exit ${code}).\nstdout:\n${proc.stdout}\nstderr:\n${proc.stderr}`);
  }
}

export interface DoctorJson {
  ok: boolean;
  sdkVersion: string;
  baseUrl?: string;
  keyPrefix?: string;
  checks: Array<{
    id: string;
    status: 'ok' | 'info' | 'warn' | 'fail' | 'skip';
    title: string;
    detail: string;
    fix?: string;
  }>;
}

export async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}
