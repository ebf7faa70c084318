/**
 * One runtime-child.mjs process seen from the parent: spawning, the fd 3 report channel,
 * SIGSTOP/SIGCONT bookkeeping and the per-process log file.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';

const CHILD_ENTRY = fileURLToPath(new URL('./runtime-child.mjs', import.meta.url));

export interface ErrorReport {
  name: string;
  message: string;
  stack?: string;
}

export type ChildMessage =
  | { type: 'ready' }
  | { type: 'init-error'; error: ErrorReport }
  | { type: 'crash'; requestIds: string[]; error: ErrorReport; exitCode: number }
  | {
      type: 'result';
      requestId: string;
      durationMillis: number;
      outcome: 'success' | 'error';
      result?: unknown;
      error?: ErrorReport;
      stream?: { contentType: string; metadata?: unknown; body: string };
    };

export interface SpawnOptions {
  handlerModule: string;
  exportName: string;
  env: Record<string, string>;
  freezeAfterInit: boolean;
  waitForEmptyEventLoop: boolean;
}

// A stopped child is invisible to the event loop, so a vitest worker that exits without
// calling stop() would leave it frozen forever. Children are SIGKILLed (and their log files
// removed) on exit no matter what; a process stays in `live` until dispose().
const live = new Set<RuntimeProcess>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of live) child.killSync();
  });
}

export class RuntimeProcess extends EventEmitter<{ message: [ChildMessage]; exit: [string] }> {
  readonly pid: number;
  /** Invocations this process has started; 0 means the next one is its cold start. */
  invocations = 0;
  #frozen = false;
  #exited: string | undefined;
  readonly #child: ChildProcess;
  readonly #logDir: string;
  readonly #logFile: string;

  private constructor(child: ChildProcess, logDir: string) {
    super();
    this.#child = child;
    this.#logDir = logDir;
    this.#logFile = path.join(logDir, 'output.log');
    if (child.pid === undefined) throw new Error('LambdaHarness: failed to spawn the runtime child');
    this.pid = child.pid;
    live.add(this);

    let pending = '';
    const reports = child.stdio[3] as Readable;
    reports.setEncoding('utf8');
    reports.on('data', (chunk: string) => {
      pending += chunk;
      let newline: number;
      while ((newline = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        this.emit('message', JSON.parse(line) as ChildMessage);
      }
    });
    // Only a pending invoke (its deadline timer) may keep the test process alive; a harness
    // someone forgot to stop() must not, and the exit hook then kills the child.
    child.unref();
    for (const handle of [child.stdin, reports] as Array<Partial<{ unref(): void }> | null>) handle?.unref?.();
    // EPIPE when the child died between our check and the write; 'exit' reports the death.
    child.stdin!.on('error', () => {});
    child.on('exit', (code, signal) => {
      this.#exited = signal ? `signal: ${signal}` : `exit status ${code ?? 'unknown'}`;
      this.#frozen = false;
      this.emit('exit', this.#exited);
    });
  }

  static spawn(options: SpawnOptions): RuntimeProcess {
    installExitHook();
    const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lambda-harness-'));
    // stdout and stderr share one O_APPEND file rather than pipes: Node writes to files
    // synchronously, so everything the child printed before its report is already on disk
    // when the report arrives, in order, with no pipe-draining race.
    const logFd = fs.openSync(path.join(logDir, 'output.log'), 'a');
    const args = [CHILD_ENTRY, options.handlerModule, options.exportName];
    if (options.freezeAfterInit) args.push('--freeze-after-init');
    if (options.waitForEmptyEventLoop) args.push('--wait-for-empty-event-loop');
    try {
      const child = spawn(process.execPath, args, {
        cwd: options.env.LAMBDA_TASK_ROOT,
        env: options.env,
        stdio: ['pipe', logFd, logFd, 'pipe'],
      });
      return new RuntimeProcess(child, logDir);
    } finally {
      fs.closeSync(logFd);
    }
  }

  get frozen(): boolean {
    return this.#frozen;
  }

  get exited(): string | undefined {
    return this.#exited;
  }

  send(batch: unknown): void {
    this.#child.stdin!.write(`${JSON.stringify(batch)}\n`);
  }

  resume(): void {
    if (this.#exited !== undefined) return;
    this.#frozen = false;
    this.#child.kill('SIGCONT');
  }

  /**
   * Resolves once the kernel shows the child stopped. The report is written just before the
   * child's SIGSTOP, so without this wait a caller could observe the report a moment before
   * the freeze is real. Falls back to trusting the report where /proc does not exist.
   */
  async waitUntilStopped(limitMillis = 5000): Promise<void> {
    const statPath = `/proc/${this.pid}/stat`;
    if (!fs.existsSync('/proc/self/stat')) {
      this.#frozen = true;
      return;
    }
    const giveUpAt = Date.now() + limitMillis;
    for (;;) {
      if (this.#exited !== undefined) return;
      let state: string | undefined;
      try {
        const stat = fs.readFileSync(statPath, 'utf8');
        // The command name can contain spaces and parentheses; the state follows the last ')'.
        state = stat.slice(stat.lastIndexOf(')') + 2).charAt(0);
      } catch {
        return; // gone: 'exit' is on its way
      }
      if (state === 'T' || state === 't') {
        this.#frozen = true;
        return;
      }
      if (Date.now() > giveUpAt)
        throw new Error(`LambdaHarness: child ${this.pid} reported but did not stop (state ${state})`);
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  }

  /** Byte length of the log so far; pass it to logsSince() to get one invocation's output. */
  logOffset(): number {
    try {
      return fs.statSync(this.#logFile).size;
    } catch {
      return 0;
    }
  }

  logsSince(offset: number): string {
    try {
      return fs.readFileSync(this.#logFile).subarray(offset).toString('utf8');
    } catch {
      return '';
    }
  }

  /** SIGKILL works on a stopped process too; resolves when the process is gone. */
  async kill(): Promise<void> {
    if (this.#exited === undefined) {
      const gone = new Promise<void>((resolve) => this.once('exit', () => resolve()));
      this.#child.kill('SIGKILL');
      await gone;
    }
  }

  /** Kills if needed and deletes the log file; read logsSince() before this. */
  async dispose(): Promise<void> {
    await this.kill();
    this.#child.stdin?.destroy();
    (this.#child.stdio[3] as Readable | null)?.destroy();
    fs.rmSync(this.#logDir, { recursive: true, force: true });
    live.delete(this);
  }

  killSync(): void {
    try {
      this.#child.kill('SIGKILL');
    } catch {
      // already gone
    }
    fs.rmSync(this.#logDir, { recursive: true, force: true });
  }
}
