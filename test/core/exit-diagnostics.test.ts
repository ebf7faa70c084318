/**
 * Issue 14, at exit: a crash is reported as a crash (not "process.exit()"), spans left open are
 * delivered as unfinished (or counted when they cannot be), and an endpoint that is down cannot
 * hold a script's exit longer than `exitFlushTimeoutMillis`. Runs the built dist in child processes
 * (test/fixtures/core/exit-diagnostics.mjs); run `npx tsup` first.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

import { useReceiverForChildren } from './helpers.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const fixture = fileURLToPath(new URL('../fixtures/core/exit-diagnostics.mjs', import.meta.url));
// A hung child fails the test instead of hanging it; nothing asserts on speed (see bench/exit-time.mjs).
const CHILD_TIMEOUT_MILLIS = 30_000;

const receiver = useReceiverForChildren();

function run(scenario: string, env: Record<string, string> = {}): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fixture, scenario], {
      cwd: root,
      env: { PATH: process.env.PATH, RECEIVER_URL: receiver.url, ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    const killer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`child did not exit within ${CHILD_TIMEOUT_MILLIS} ms; stderr: ${stderr}`));
    }, CHILD_TIMEOUT_MILLIS);
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(killer);
      resolve({ code, stderr });
    });
  });
}

it('an uncaught exception is reported as a crash, with the error, not as process.exit()', async () => {
  receiver.setFault({ kind: 'hang' });
  const exit = await run('crash');
  expect(exit.code).not.toBe(0);
  expect(exit.stderr).toMatch(
    /1 span\(s\) were not delivered: the process crashed with an uncaught exception \(SyntaxError: [^)]*JSON[^)]*\)/,
  );
  expect(exit.stderr).not.toContain('process.exit()');
});

it('an unhandled rejection is reported as one', async () => {
  receiver.setFault({ kind: 'hang' });
  const exit = await run('rejection');
  expect(exit.code).not.toBe(0);
  expect(exit.stderr).toMatch(/crashed with an unhandled promise rejection \(TypeError: model call failed\)/);
});

it.each([1, 5000])(
  'endpoint down, %i span(s): the exit is bounded by exitFlushTimeoutMillis and says what was lost',
  async (spans) => {
    // exportTimeoutMillis is ten minutes in the fixture: without the bound this child would hang.
    receiver.setFault({ kind: 'hang' });
    const exit = await run('dead-endpoint', { SPANS: String(spans), BENTOLABS_EXIT_FLUSH_TIMEOUT_MILLIS: '300' });
    expect(exit.code).toBe(0);
    expect(exit.stderr).toMatch(
      /span\(s\) were not delivered: the endpoint did not accept them within exitFlushTimeoutMillis \(300 ms\) at exit/,
    );
    const lost = Number(/(\d+) span\(s\) were not delivered/.exec(exit.stderr)?.[1]);
    const dropped = spans > 2048 ? spans - 2048 : 0;
    expect(lost).toBe(spans - dropped);
    if (dropped > 0) expect(exit.stderr).toContain(` ${dropped} span(s) dropped`);
    expect(receiver.requests.length).toBeGreaterThan(0);
  },
);

it('a trajectory never finished is ended at exit, delivered as unfinished, and named in a warning', async () => {
  const exit = await run('open-at-exit');
  expect(exit.code).toBe(0);
  expect(exit.stderr).toMatch(/1 span\(s\) were still open when the process was about to exit \("never-finished"\)/);
  expect(receiver.spanByName('never-finished')?.attributes['bentolabs.unfinished']).toBe(true);
});

it('a trajectory open at process.exit() cannot be delivered, and the exit message counts it', async () => {
  const exit = await run('open-then-exit');
  expect(exit.code).toBe(0);
  expect(exit.stderr).toMatch(/1 span\(s\) still open were never exported \("never-finished"\)/);
  expect(exit.stderr).toContain('process.exit()');
});
