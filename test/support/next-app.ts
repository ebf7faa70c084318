/**
 * Running a real Next.js app for the adapter tests: `next build` / `next start` of a fixture app in
 * a child process with a clean environment, its output collected for assertion messages.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net, { type AddressInfo } from 'node:net';
import path from 'node:path';

/** Starts `next <args>` in `appDir` with the repo's own Next; `onOutput` receives stdout and stderr. */
export function runNext(
  root: string,
  appDir: string,
  args: string[],
  env: Record<string, string>,
  onOutput: (chunk: string) => void,
): ChildProcess {
  const nextBin = path.join(root, 'node_modules', 'next', 'dist', 'bin', 'next');
  const child = spawn(process.execPath, [nextBin, ...args], {
    cwd: appDir,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      NODE_ENV: 'production',
      NEXT_TELEMETRY_DISABLED: '1',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d: Buffer) => onOutput(String(d)));
  child.stderr!.on('data', (d: Buffer) => onOutput(String(d)));
  return child;
}

export const exited = (child: ChildProcess) => new Promise<number | null>((resolve) => child.once('exit', resolve));

/** A port free on 127.0.0.1 right now (`next start` takes a port, not 0). */
export async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}
