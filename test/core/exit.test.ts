/**
 * SPEC §7: a script that records without flushing still delivers (beforeExit) and exits on its
 * own; SIGTERM/SIGINT flush queued spans without changing how the process ends. Runs the built
 * dist in child processes (test/fixtures/core/exit-script.mjs); run `npx tsup` first.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

import { useReceiverForChildren } from './helpers.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const fixture = fileURLToPath(new URL('../fixtures/core/exit-script.mjs', import.meta.url));
// Generous: a hung child fails the test instead of hanging it, but no test asserts on speed.
const CHILD_TIMEOUT_MILLIS = 20_000;

const receiver = useReceiverForChildren();

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

function run(
  scenario: string,
  mode: 'esm' | 'cjs',
  opts: { signal?: NodeJS.Signals; env?: Record<string, string> } = {},
): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fixture, scenario, mode], {
      cwd: root,
      env: { ...process.env, RECEIVER_URL: receiver.url, ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const killer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`child did not exit within ${CHILD_TIMEOUT_MILLIS} ms (stdout: ${stdout}; stderr: ${stderr})`));
    }, CHILD_TIMEOUT_MILLIS);
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (opts.signal && stdout.includes('ready\n')) {
        stdout = stdout.replace('ready\n', '(signalled)\n');
        child.kill(opts.signal);
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(killer);
      resolve({ code, signal, stderr });
    });
  });
}

const names = (prefix: string) =>
  [0, 1, 2]
    .map((i) => `${prefix}-${i}`)
    .concat(`${prefix}-traj`, 'tool')
    .sort();

describe.each(['esm', 'cjs'] as const)('%s build', (mode) => {
  it('a script that records and ends without flush(): exits on its own and its spans arrive', async () => {
    const exit = await run('natural', mode);
    expect(exit.stderr).toBe('');
    expect(exit).toMatchObject({ code: 0, signal: null });
    expect(receiver.spans.map((s) => s.name).sort()).toEqual(names(`natural-${mode}`));
  });

  it.each(['SIGTERM', 'SIGINT'] as const)(
    '%s to an idle process with queued spans: spans arrive, and it still dies by the signal',
    async (signal) => {
      const exit = await run('signal', mode, { signal });
      expect(exit).toMatchObject({ code: null, signal });
      expect(receiver.spans.map((s) => s.name).sort()).toEqual(names(`signal-${mode}`));
    },
  );

  it('an app’s own SIGTERM handler keeps control of the exit; our hook still flushes', async () => {
    const exit = await run('host-handler', mode, { signal: 'SIGTERM' });
    expect(exit).toMatchObject({ code: 42, signal: null });
    expect(receiver.spans.map((s) => s.name).sort()).toEqual(names(`host-handler-${mode}`));
  });
});

it('process.exit() right after recording cannot deliver, and the SDK says how many spans it lost', async () => {
  const exit = await run('process-exit', 'esm', { env: { LOG_LEVEL: 'warn' } });
  expect(exit).toMatchObject({ code: 3, signal: null });
  expect(exit.stderr).toMatch(
    /5 span\(s\) were not delivered: the process exited \(process\.exit\(\)\) before they were flushed/,
  );
});

it('an endpoint that never answers does not keep the process alive past the export timeout', async () => {
  receiver.setFault({ kind: 'hang' });
  const exit = await run('natural', 'esm', { env: { EXPORT_TIMEOUT_MILLIS: '1000' } });
  expect(exit).toMatchObject({ code: 0, signal: null });
  expect(receiver.requests.length).toBeGreaterThan(0);
  expect(receiver.spans).toHaveLength(0);
});

it('the SDK’s own timers never keep a process alive: with flushOnExit:false the script exits before the 5 s tick', async () => {
  // The flip side of the beforeExit test: it is the hook, not a ref'd timer, that delivers.
  const exit = await run('natural', 'esm', { env: { FLUSH_ON_EXIT: '0' } });
  expect(exit).toMatchObject({ code: 0, signal: null });
  expect(receiver.requests).toHaveLength(0);
});

it('ESM and CJS builds loaded together share one SDK instance and one async context', async () => {
  const { execFile } = await import('node:child_process');
  const dual = fileURLToPath(new URL('../fixtures/core/dual-package.mjs', import.meta.url));
  const stdout = await new Promise<string>((resolve, reject) =>
    execFile(
      process.execPath,
      [dual],
      { cwd: root, env: { ...process.env, RECEIVER_URL: receiver.url }, timeout: CHILD_TIMEOUT_MILLIS },
      (error, out, err) => (error ? reject(new Error(`${error.message}\n${err}`)) : resolve(out)),
    ),
  );
  const out = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as {
    ids: { traj: string; cjsChild: string; cjsCurrent?: string };
    initAgain: string;
    result: { ok: boolean; exported: number };
    esmStatus: number;
    cjsStatus: number;
  };
  expect(out.initAgain).toBe('no-throw');
  expect(out.result).toMatchObject({ ok: true, exported: 2 });
  expect(out.esmStatus).toBe(2);
  expect(out.cjsStatus).toBe(2);
  expect(out.ids.cjsCurrent).toBe(out.ids.traj);
  expect(receiver.spans.find((s) => s.name === 'cjs-child')?.parentSpanId).toBe(out.ids.traj);
  expect(receiver.requests).toHaveLength(1);
});
